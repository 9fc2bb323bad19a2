package backend

// A profile file on disk, judged as `relais profile lint` and `relais
// profile verify` judge it, before IT publishes it: read within the size
// limit, parsed, and its signature checked against keys given as files.

import (
	"errors"
	"fmt"
	"io"
	"os"

	"aead.dev/minisign"

	"relais/internal/frontend"
	"relais/internal/profile"
)

// ReadProfileFile reads a profile from disk, refusing to read more than
// the profile size limit. Its errors are coded: cli.profile.too_large
// (wrapping profile.ErrTooLarge) or cli.error.read_file.
func ReadProfileFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, readFileError(name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, profile.MaxProfileSize+1))
	if err != nil {
		return nil, readFileError(name, err)
	}
	if len(b) > profile.MaxProfileSize {
		return nil, frontend.Wrap(fmt.Errorf("%w: %s", profile.ErrTooLarge, name), "cli.profile.too_large", name, profile.MaxProfileSize)
	}
	return b, nil
}

// readFileError is the coded error of a file that could not be read.
func readFileError(name string, err error) error {
	return frontend.Wrap(err, "cli.error.read_file", name, err.Error())
}

// ProfileCheck is what a profile file was found to be.
type ProfileCheck struct {
	File string
	// Profile is the parsed profile; nil when it does not parse.
	Profile *profile.Profile
	// Err is why it does not parse: its located problems
	// (frontend.ProfileErrors), or another error.
	Err error
	// SigFile is the signature checked (VerifyProfileFile only).
	SigFile string
	// SigErr is why the signature does not hold; nil: signed by a
	// trusted key (VerifyProfileFile only).
	SigErr error
}

// Serial is the profile's serial; 0 when it does not parse.
func (c ProfileCheck) Serial() int64 {
	if c.Profile == nil {
		return 0
	}
	return c.Profile.Serial
}

// OK reports whether the file parses and, when its signature was checked,
// is signed.
func (c ProfileCheck) OK() bool { return c.Err == nil && c.SigErr == nil }

// LintProfileFile reads and parses a profile file. Its error (coded, see
// ReadProfileFile) says the file could not be read; a file that does not
// parse is a ProfileCheck with Err.
func LintProfileFile(file string) (ProfileCheck, error) {
	data, err := ReadProfileFile(file)
	if err != nil {
		return ProfileCheck{File: file}, err
	}
	c := ProfileCheck{File: file}
	c.Profile, c.Err = profile.Parse(file, data)
	return c, nil
}

// VerifyProfileFile is LintProfileFile and the check of the file's
// signature, sigFile (empty: the file's name with .minisig), against the
// public keys in trustFiles. Its error (coded) says a file could not be
// read or a key is not one: cli.error.read_file, cli.profile.bad_trust_key,
// cli.profile.too_large. A missing signature file is an unsigned profile.
func VerifyProfileFile(file, sigFile string, trustFiles []string) (ProfileCheck, error) {
	if sigFile == "" {
		sigFile = file + ".minisig"
	}
	c := ProfileCheck{File: file, SigFile: sigFile}
	var keys []minisign.PublicKey
	for _, kf := range trustFiles {
		b, err := os.ReadFile(kf)
		if err != nil {
			return c, readFileError(kf, err)
		}
		k, err := profile.ParseTrustedKey(string(b))
		if err != nil {
			return c, frontend.Wrap(err, "cli.profile.bad_trust_key", kf, err.Error())
		}
		keys = append(keys, k)
	}
	data, err := ReadProfileFile(file)
	if err != nil {
		return c, err
	}
	sig, err := os.ReadFile(sigFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return c, readFileError(sigFile, err)
	}
	c.SigErr = profile.VerifySignature(data, sig, keys)
	if c.SigErr != nil && errors.Is(c.SigErr, profile.ErrUnsigned) && len(sig) == 0 {
		c.SigErr = fmt.Errorf("%w: %s", profile.ErrUnsigned, sigFile)
	}
	c.Profile, c.Err = profile.Parse(file, data)
	return c, nil
}
