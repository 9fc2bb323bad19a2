package backend

import (
	"net/netip"

	"relais/internal/frontend"
	"relais/internal/wgconf"
)

// CheckKeyring reads the keyring before an identity changes, so that
// without a usable keyring nothing is opened or written. Its error is a
// *frontend.IdentityError (IdentityErrNoKeyring, the keyring's error as
// its cause).
func (e Env) CheckKeyring() error {
	if _, err := ReadVault(e.Vault()); err != nil {
		return idError(frontend.IdentityErrNoKeyring, err, IdentityProblem(e.GOOS, err))
	}
	return nil
}

// CheckImport checks what an import of file needs before the store is
// opened: the file first (a bad file is said as such whatever the
// keyring), then the keyring. Its errors are *frontend.IdentityError
// (ImportFileError, CheckKeyring).
func (e Env) CheckImport(file string) error {
	if _, err := wgconf.ReadFile(file); err != nil {
		return ImportFileError(err, file)
	}
	return e.CheckKeyring()
}

// TunnelAddresses are the tunnel addresses given for a new identity, each
// a prefix in its canonical form. Its error is coded: cli.key.bad_address,
// naming the first that is not one.
func TunnelAddresses(in []string) ([]string, error) {
	addrs := []string{}
	for _, a := range in {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return nil, frontend.Wrap(err, "cli.key.bad_address", a)
		}
		addrs = append(addrs, p.String())
	}
	return addrs, nil
}
