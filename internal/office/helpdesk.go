package office

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"filippo.io/age"

	"relais/internal/atomicfile"
)

// HelpdeskKeyName is the usual name of the demo helpdesk's identity file,
// in the demo's data directory.
const HelpdeskKeyName = "helpdesk-demo.agekey"

// helpdeskIdentity is the demo helpdesk's age identity: the one kept in
// path, or a new one written there (mode 0600) when the file is missing
// or damaged. With no path it is a throwaway key. Demo only: a real
// helpdesk keeps its identity away from the laptops.
func helpdeskIdentity(path string) (*age.X25519Identity, error) {
	if path == "" {
		return age.GenerateX25519Identity()
	}
	if b, err := os.ReadFile(path); err == nil {
		if ids, err := age.ParseIdentities(bytes.NewReader(b)); err == nil && len(ids) == 1 {
			if id, ok := ids[0].(*age.X25519Identity); ok {
				if err := os.Chmod(path, 0o600); err != nil {
					return nil, err
				}
				return id, nil
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	content := fmt.Sprintf("# Relais demo: the demo service desk's key (opens the demo's encrypted diagnostics).\n# public key: %s\n%s\n",
		id.Recipient(), id)
	if err := writeKeyFile(path, []byte(content)); err != nil {
		return nil, err
	}
	return id, nil
}

// writeKeyFile writes b to path through a private temporary file renamed
// into place (atomicfile): the key is never readable by others, even for
// a moment.
func writeKeyFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b, 0o600)
}
