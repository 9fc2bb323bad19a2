package casecode

import (
	"testing"

	"relais/internal/diag"
)

func TestValidAgreesWithDiag(t *testing.T) {
	t.Parallel()
	for range 200 {
		c := diag.NewCaseCode()
		if !Valid(c) {
			t.Fatalf("Valid(%q) = false for a new case code", c)
		}
	}
	for _, s := range []string{"", "RLS-", "RLS-7K3M-Q9T", "RLS-7K3M-Q9TDX", "rls-7K3M-Q9TD", "RLS-7K3MQ-9TD",
		"RLS-0K3M-Q9TD", "RLS-7K3M-Q9TÉ", "XYZ-7K3M-Q9TD", "RLS-7K3M-Q9TD\n"} {
		if Valid(s) != diag.ValidCaseCode(s) {
			t.Errorf("Valid(%q) = %v, diag says %v", s, Valid(s), diag.ValidCaseCode(s))
		}
	}
}

func FuzzValid(f *testing.F) {
	f.Add("RLS-7K3M-Q9TD")
	f.Add("RLS-7K3M-Q9T\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if Valid(s) != diag.ValidCaseCode(s) {
			t.Fatalf("Valid(%q) = %v, diag says %v", s, Valid(s), diag.ValidCaseCode(s))
		}
	})
}
