package casecode_test

import (
	"testing"

	"relais/internal/casecode"
	"relais/internal/diag"
)

func TestValidAgreesWithDiag(t *testing.T) {
	t.Parallel()
	for range 200 {
		c := diag.NewCaseCode()
		if !casecode.Valid(c) {
			t.Fatalf("casecode.Valid(%q) = false for a new case code", c)
		}
	}
	for _, s := range []string{"", "RLS-", "RLS-7K3M-Q9T", "RLS-7K3M-Q9TDX", "rls-7K3M-Q9TD", "RLS-7K3MQ-9TD",
		"RLS-0K3M-Q9TD", "RLS-7K3M-Q9TÉ", "XYZ-7K3M-Q9TD", "RLS-7K3M-Q9TD\n"} {
		if casecode.Valid(s) != diag.ValidCaseCode(s) {
			t.Errorf("casecode.Valid(%q) = %v, diag says %v", s, casecode.Valid(s), diag.ValidCaseCode(s))
		}
	}
}

func FuzzValid(f *testing.F) {
	f.Add("RLS-7K3M-Q9TD")
	f.Add("RLS-7K3M-Q9T\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if casecode.Valid(s) != diag.ValidCaseCode(s) {
			t.Fatalf("casecode.Valid(%q) = %v, diag says %v", s, casecode.Valid(s), diag.ValidCaseCode(s))
		}
	})
}
