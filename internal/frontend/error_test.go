package frontend

import (
	"errors"
	"fmt"
	"testing"
)

func TestWordsNestedAndWrapped(t *testing.T) {
	t.Parallel()
	tr := func(key string, args ...any) string { return fmt.Sprintf("<%s %v>", key, args) }
	inner := Errorf("inner.key", 3)
	err := fmt.Errorf("context: %w", Wrap(errors.New("cause"), "outer.key", "app", inner))
	if got, want := Words("fr", err, tr, nil), "<outer.key [app <inner.key [3]>]>"; got != want {
		t.Fatalf("Words = %q, want %q", got, want)
	}
	plain := errors.New("plain")
	if got := Words("fr", plain, tr, func(error) string { return "described" }); got != "described" {
		t.Fatalf("a plain error = %q", got)
	}
	if got := Words("fr", plain, tr, nil); got != "plain" {
		t.Fatalf("a plain error without describe = %q", got)
	}
	var fe *Error
	if !errors.As(err, &fe) || !errors.Is(err, fe.Err) || fe.Err.Error() != "cause" {
		t.Fatalf("the chain is lost: %v", err)
	}
	if Words("fr", nil, tr, nil) != "" {
		t.Fatal("nil has words")
	}
}
