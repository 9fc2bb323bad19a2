package diag

import (
	"strings"
	"testing"
)

func TestNewCaseCode(t *testing.T) {
	seen := map[string]bool{}
	used := map[rune]bool{}
	for i := 0; i < 2000; i++ {
		c := NewCaseCode()
		if !ValidCaseCode(c) {
			t.Fatalf("%q is not valid", c)
		}
		if seen[c] {
			t.Fatalf("%q twice in 2000", c)
		}
		seen[c] = true
		for _, r := range c[4:] {
			used[r] = true
		}
	}
	// Every character of the alphabet turns up, and no look-alike.
	for _, r := range caseAlphabet {
		if !used[r] {
			t.Errorf("%c never used", r)
		}
	}
	for _, r := range "0O1IL2Z5S8BUV" {
		if strings.ContainsRune(caseAlphabet, r) {
			t.Errorf("look-alike %c in the alphabet", r)
		}
	}
}

func TestValidCaseCode(t *testing.T) {
	for s, want := range map[string]bool{
		"RLS-7K3M-Q9TD":  true,
		"RLS-3333-YYYY":  true,
		"rls-7k3m-q9td":  false,
		"RLS-7K3M-Q9T":   false,
		"RLS-7K3MQ9TD":   false,
		"RLS-7K3M-Q9TD ": false,
		"XYZ-7K3M-Q9TD":  false,
		"RLS-0K3M-Q9TD":  false, // 0
		"RLS-7K3M-Q9TB":  false, // B
		"RLS-7K3M_Q9TD":  false,
		"RLS-7K3M-Q9TÉ":  false,
		"":               false,
	} {
		if got := ValidCaseCode(s); got != want {
			t.Errorf("ValidCaseCode(%q) = %v", s, got)
		}
	}
}

func TestFileName(t *testing.T) {
	if got := FileName("RLS-7K3M-Q9TD", false); got != "relais-diag-RLS-7K3M-Q9TD.zip" {
		t.Error(got)
	}
	if got := FileName("RLS-7K3M-Q9TD", true); got != "relais-diag-RLS-7K3M-Q9TD.zip.age" {
		t.Error(got)
	}
}
