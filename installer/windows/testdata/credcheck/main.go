//go:build windows

// credcheck reads the device's WireGuard private key from the Credential
// Manager the way relais.exe does (internal/secrets), prints the public key
// it belongs to, then looks for the private key — as base64 and as raw
// bytes — in every file under DIR and in its standard input (what
// relais.exe printed), printing "found WHERE" for each hit and "checked N"
// at the end. It never prints the private key.
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/secrets"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: credcheck DIR < OUTPUT")
		os.Exit(2)
	}
	priv, err := secrets.Vault{Keyring: secrets.OSKeyring()}.PrivateKey()
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("public", wgtypes.Key(priv).PublicKey().String())
	b64 := []byte(base64.StdEncoding.EncodeToString(priv[:]))
	has := func(b []byte) bool { return bytes.Contains(b, b64) || bytes.Contains(b, priv[:]) }
	n := 0
	err = filepath.WalkDir(os.Args[1], func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		if has(b) {
			fmt.Println("found", p)
		}
		return nil
	})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if has(in) {
		fmt.Println("found stdin")
	}
	fmt.Println("checked", n)
}
