package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

func TestIdentityRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Identity(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty: %v", err)
	}
	want := Identity{PublicKey: "b49b/tJYp/VejjTju4hQ/J1rRbS+yJBkPe64Z6EdAF0=", Addresses: []string{"10.20.30.40/32", "fd00::40/128"}, Source: "it.conf"}
	if err := db.SetIdentity(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := db.Identity(ctx)
	if err != nil || got.PublicKey != want.PublicKey || !reflect.DeepEqual(got.Addresses, want.Addresses) || got.Source != "it.conf" || got.CreatedAt.IsZero() {
		t.Fatalf("got %+v, %v", got, err)
	}
	want.Addresses = nil
	want.Source = "generated"
	if err := db.SetIdentity(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Identity(ctx); len(got.Addresses) != 0 || got.Source != "generated" {
		t.Fatalf("replaced: %+v", got)
	}
	enrolled := Identity{PublicKey: want.PublicKey, Addresses: []string{"10.20.128.7/32"}, Source: SourceEnrolled,
		EnrolURL: "https://relais.example.org/v1/enrol", Grant: `{"kind":"relais-enrolment-grant"}`, GrantSignature: "untrusted comment: x"}
	if err := db.SetIdentity(ctx, enrolled); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Identity(ctx); got.EnrolURL != enrolled.EnrolURL || got.Grant != enrolled.Grant || got.GrantSignature != enrolled.GrantSignature {
		t.Fatalf("enrolled: %+v", got)
	}
	if err := db.SetIdentity(ctx, Identity{PublicKey: "short"}); err == nil {
		t.Fatal("a malformed public key was stored")
	}
	if err := db.DeleteIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Identity(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}
