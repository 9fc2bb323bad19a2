package avis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"aead.dev/minisign"

	"relais/internal/notices"
	"relais/internal/server/db"
)

// maxKeyFile bounds what LoadSigner reads: a minisign secret key is about
// 250 bytes.
const maxKeyFile = 4 << 10

// Codes of a KeyError; `relais serve` words each as
// cli.serve.notice_key.<code>.
const (
	KeyUnreadable  = "unreadable"  // missing, not a file, or unreadable
	KeyPermissions = "permissions" // readable by the group or by others
	KeyEncrypted   = "encrypted"   // protected by a password
	KeyInvalid     = "invalid"     // not a minisign secret key
)

// KeyError is a notice key file that cannot be used. Its message never
// carries the key.
type KeyError struct {
	Code string
	What string // "notice key" (the default) or "grant key"
	Path string
	Err  error // the system's detail, for unreadable files
}

func (e *KeyError) Error() string {
	what := e.What
	if what == "" {
		what = "notice key"
	}
	switch e.Code {
	case KeyPermissions:
		return what + " " + e.Path + ": readable by other users than the server's (chmod 600)"
	case KeyEncrypted:
		return what + " " + e.Path + ": protected by a password; the server needs a key without one (minisign -G -W)"
	case KeyInvalid:
		return what + " " + e.Path + ": not a minisign secret key"
	}
	return fmt.Sprintf("%s %s: %v", what, e.Path, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// Signer signs notices documents with the notice key's secret half.
type Signer struct {
	key minisign.PrivateKey
	pub minisign.PublicKey
}

// NewSigner signs with key (tests, the demo office).
func NewSigner(key minisign.PrivateKey) *Signer {
	pub, _ := key.Public().(minisign.PublicKey)
	return &Signer{key: key, pub: pub}
}

// LoadSigner reads notice_key_file: a minisign secret key without a
// password, readable by the server's user alone.
//
// A password-protected key is refused rather than given a password file:
// the server starts unattended, so the password would sit beside the key
// under the same permissions and protect nothing more, while the scrypt
// parameters of minisign keys take a gigabyte of memory to open. Keep the
// key mode 0600, owned by the server's user.
func LoadSigner(path string) (*Signer, error) {
	key, err := LoadKey(path, "notice key")
	if err != nil {
		return nil, err
	}
	return NewSigner(key), nil
}

// LoadKey reads a minisign secret key the server signs with unattended
// (what names it in errors: "notice key", "grant key"): a regular file,
// readable by the server's user alone, without a password. Its error is
// a *KeyError, which never carries the key.
func LoadKey(path, what string) (minisign.PrivateKey, error) {
	var key minisign.PrivateKey
	fail := func(code string, err error) (minisign.PrivateKey, error) {
		return minisign.PrivateKey{}, &KeyError{Code: code, What: what, Path: path, Err: err}
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(KeyUnreadable, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail(KeyUnreadable, err)
	}
	if !fi.Mode().IsRegular() {
		return fail(KeyUnreadable, errors.New("not a regular file"))
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fail(KeyPermissions, nil)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return fail(KeyUnreadable, err)
	}
	switch {
	case len(b) > maxKeyFile:
		return fail(KeyInvalid, nil)
	case minisign.IsEncrypted(b):
		return fail(KeyEncrypted, nil)
	case key.UnmarshalText(bytes.TrimSpace(b)) != nil:
		return fail(KeyInvalid, nil)
	}
	return key, nil
}

// PublicKey is the notice key's public half, for the profile's [notices]
// public_key.
func (s *Signer) PublicKey() minisign.PublicKey { return s.pub }

// PublicKeyText is the public key as the profile writes it ("RWQ…").
func (s *Signer) PublicKeyText() string { return s.pub.String() }

// wire is the document as published: schema 1 of internal/notices, with
// open bounds and absent texts left out rather than written as zero.
type wire struct {
	Schema      int          `json:"schema"`
	Serial      int64        `json:"serial"`
	IssuedAt    time.Time    `json:"issued_at"`
	Notices     []wireNotice `json:"notices"`
	Maintenance []wireWindow `json:"maintenance"`
}

type wireNotice struct {
	ID    string        `json:"id"`
	Level notices.Level `json:"level"`
	Text  notices.Text  `json:"text"`
	From  time.Time     `json:"from,omitzero"`
	Until time.Time     `json:"until,omitzero"`
}

type wireWindow struct {
	App   string       `json:"app"`
	From  time.Time    `json:"from"`
	Until time.Time    `json:"until"`
	Text  notices.Text `json:"text,omitzero"`
}

// NoticeID is the id a stored notice carries in documents.
func NoticeID(rowID int64) string { return fmt.Sprintf("avis-%d", rowID) }

// Build makes and signs the document numbered serial from items: it is
// checked with notices.Parse (a refusal is its *notices.Error) and its
// signature with the public half before it is returned.
func (s *Signer) Build(serial int64, issuedAt time.Time, items []db.NoticeItem) (body, sig []byte, err error) {
	w := wire{Schema: notices.Schema, Serial: serial, IssuedAt: issuedAt.UTC(),
		Notices: []wireNotice{}, Maintenance: []wireWindow{}}
	for _, it := range items {
		text := notices.Text{FR: it.TextFR, EN: it.TextEN}
		switch it.Kind {
		case db.KindNotice:
			w.Notices = append(w.Notices, wireNotice{ID: NoticeID(it.ID), Level: notices.Level(it.Level), Text: text,
				From: it.From.UTC(), Until: it.Until.UTC()})
		case db.KindWindow:
			w.Maintenance = append(w.Maintenance, wireWindow{App: it.App, From: it.From.UTC(), Until: it.Until.UTC(), Text: text})
		}
	}
	body, err = json.MarshalIndent(w, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	body = append(body, '\n')
	if _, err := notices.Parse(body); err != nil {
		return nil, nil, err
	}
	sig = notices.Sign(body, s.key)
	if err := notices.Verify(body, sig, s.pub); err != nil {
		return nil, nil, fmt.Errorf("avis: the signature does not verify: %w", err)
	}
	return body, sig, nil
}
