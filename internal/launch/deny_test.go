package launch

import (
	"errors"
	"testing"
)

// A profile signed before the deny list grew may still list ms-msdt or a
// drive letter in allowed_schemes: launch opens none of them anyway.
func TestCheckURLDeniesWhatProfilesMayNotAllow(t *testing.T) {
	for _, u := range []string{"ms-msdt:/id PCWDiagnostic", "search-ms:query=x", "smb://srv/share", "c:\\windows\\system32\\calc.exe",
		"MS-OFFICECMD:x", "shell:startup", "jar:http://x!/y", "file:///etc/passwd"} {
		if _, err := CheckURL(u, []string{"ms-msdt", "search-ms", "smb", "c", "ms-officecmd", "shell", "jar", "file"}); !errors.Is(err, ErrSchemeNotAllowed) && !errors.Is(err, ErrInvalidURL) {
			t.Errorf("%s: %v", u, err)
		}
	}
	if _, err := CheckURL("msteams:/l/meetup-join/x", []string{"msteams"}); err != nil {
		t.Errorf("msteams, allowed: %v", err)
	}
}
