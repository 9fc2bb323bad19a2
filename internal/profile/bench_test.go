package profile

import (
	"crypto/rand"
	"testing"
	"time"

	"aead.dev/minisign"
)

// benchmarkAccept measures what a laptop does with each fetched profile: verify, parse,
// validate, apply the policy.
func benchmarkAccept(b *testing.B, data []byte) {
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	sig := minisign.Sign(priv, data)
	trusted := []minisign.PublicKey{pub}
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	if _, err := Accept("profile.toml", data, sig, trusted, Previous{}, now); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Accept("profile.toml", data, sig, trusted, Previous{}, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAcceptExample(b *testing.B) { benchmarkAccept(b, readExample(b)) }

func BenchmarkAcceptGenerated500(b *testing.B) { benchmarkAccept(b, Generate(500)) }

// BenchmarkParseGenerated500 isolates decoding and validation from the signature.
func BenchmarkParseGenerated500(b *testing.B) {
	data := Generate(500)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("profile.toml", data); err != nil {
			b.Fatal(err)
		}
	}
}
