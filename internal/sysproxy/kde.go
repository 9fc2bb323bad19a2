package sysproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"relais/internal/atomicfile"
)

// KDE's proxy setting: the [Proxy Settings] group of kioslaverc (in
// XDG_CONFIG_HOME), ProxyType=2 being "use the proxy auto-configuration
// URL" in "Proxy Config Script". KIO programs (Dolphin, Konqueror, KDE's
// Falkon and every KDE application's network access) re-read it when
// told through D-Bus.
const (
	KDEGroup     = "[Proxy Settings]"
	KDEProxyType = "ProxyType"
	KDEPACURL    = "Proxy Config Script"
	kdePACType   = "2"

	// In Saved.Absent, beside the absent keys: the group did not exist
	// (its header goes again once empty), the file did not exist (it is
	// removed again once empty).
	// The file's last line had no line end (one is added while Relais'
	// lines follow it, and taken away again on restore).
	kdeNoGroup    = KDEGroup
	kdeNoFile     = "(no file)"
	kdeNoFinalEnd = "(no final line end)"
)

var kdeKeys = []string{KDEProxyType, KDEPACURL}

// KDE is kioslaverc at Path.
type KDE struct {
	Path string
	Run  Run // the D-Bus notification; nil: ExecRun
}

// Name is "kde".
func (k *KDE) Name() string { return "kde" }

// Read returns ProxyType and "Proxy Config Script" as the file has them.
func (k *KDE) Read(ctx context.Context) (Saved, error) {
	data, err := os.ReadFile(k.Path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Saved{}, fmt.Errorf("sysproxy: kde: %w", err)
	}
	return ReadKioslaverc(data, exists), nil
}

// SetPAC writes ProxyType=2 and the URL, keeping every other line.
func (k *KDE) SetPAC(ctx context.Context, url string) error {
	if strings.ContainsAny(url, "\r\n") {
		return errors.New("sysproxy: kde: a URL on more than one line")
	}
	data, err := os.ReadFile(k.Path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sysproxy: kde: %w", err)
	}
	out := SetKioslaverc(data, map[string]string{KDEProxyType: kdePACType, KDEPACURL: url})
	if err := k.write(out, false); err != nil {
		return err
	}
	k.notify(ctx)
	return nil
}

// Restore puts the saved values back, deletes the absent keys (and the
// group or the file Relais created), keeping every other line.
func (k *KDE) Restore(ctx context.Context, s Saved) error {
	for _, v := range s.Values {
		if strings.Contains(v, "\n") {
			return errors.New("sysproxy: kde: a saved value on more than one line")
		}
	}
	data, err := os.ReadFile(k.Path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sysproxy: kde: %w", err)
	}
	out := RestoreKioslaverc(data, s)
	if err := k.write(out, len(out) == 0 && slices.Contains(s.Absent, kdeNoFile)); err != nil {
		return err
	}
	k.notify(ctx)
	return nil
}

func (k *KDE) write(data []byte, remove bool) error {
	if remove {
		if err := os.Remove(k.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sysproxy: kde: %w", err)
		}
		return nil
	}
	perm := os.FileMode(0o600)
	if fi, err := os.Stat(k.Path); err == nil {
		perm = fi.Mode().Perm()
	} else if err := os.MkdirAll(filepath.Dir(k.Path), 0o700); err != nil {
		return fmt.Errorf("sysproxy: kde: %w", err)
	}
	if err := atomicfile.WriteFile(k.Path, data, perm); err != nil {
		return fmt.Errorf("sysproxy: kde: %w", err)
	}
	return nil
}

// notify tells running KIO programs to re-read their configuration, when
// dbus-send is there (best effort: a program started later reads the
// file anyway).
func (k *KDE) notify(ctx context.Context) {
	if k.Run == nil {
		if _, err := exec.LookPath("dbus-send"); err != nil {
			return
		}
	}
	ctx, cancel := context.WithTimeout(ctx, cmdTimeout)
	defer cancel()
	run := k.Run
	if run == nil {
		run = ExecRun
	}
	_, _ = run(ctx, "dbus-send", "--session", "--type=signal", "/KIO/Scheduler",
		"org.kde.KIO.Scheduler.reparseSlaveConfiguration", "string:")
}

// iniLine is one line of the file: its text and its end ("\n", "\r\n",
// or "" for a last line without one).
type iniLine struct{ text, eol string }

type iniFile struct {
	lines []iniLine
	nl    string // the end given to a new line
}

func parseINI(data []byte) *iniFile {
	f := &iniFile{nl: "\n"}
	nlSet := false
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var l iniLine
		if i < 0 {
			l = iniLine{text: string(data)}
			data = nil
		} else {
			l = iniLine{text: string(data[:i]), eol: "\n"}
			if strings.HasSuffix(l.text, "\r") {
				l.text, l.eol = l.text[:len(l.text)-1], "\r\n"
			}
			data = data[i+1:]
		}
		if !nlSet && l.eol != "" {
			f.nl, nlSet = l.eol, true
		}
		f.lines = append(f.lines, l)
	}
	return f
}

func (f *iniFile) bytes() []byte {
	var b bytes.Buffer
	for _, l := range f.lines {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return b.Bytes()
}

// isGroup reports whether line is a group header, and which.
func isGroup(text string) (string, bool) {
	t := strings.TrimSpace(text)
	return t, strings.HasPrefix(t, "[")
}

// keyOf is the key of a "key=value" line, ok false for anything else.
func keyOf(text string) (string, bool) {
	t := strings.TrimSpace(text)
	if t == "" || t[0] == '#' || t[0] == '[' {
		return "", false
	}
	k, _, ok := strings.Cut(text, "=")
	return strings.TrimSpace(k), ok
}

// scan returns, for the proxy group(s), the header lines, the lines of
// each key (in order), and the index after which a new key goes (the last
// non-blank line of the last proxy group; -1: no group).
func (f *iniFile) scan() (headers []int, keys map[string][]int, insertAfter int) {
	keys = map[string][]int{}
	insertAfter = -1
	in := false
	for i, l := range f.lines {
		if g, ok := isGroup(l.text); ok {
			in = g == KDEGroup
			if in {
				headers = append(headers, i)
				insertAfter = i
			}
			continue
		}
		if !in {
			continue
		}
		if strings.TrimSpace(l.text) != "" {
			insertAfter = i
		}
		if k, ok := keyOf(l.text); ok {
			keys[k] = append(keys[k], i)
		}
	}
	return headers, keys, insertAfter
}

func (f *iniFile) insert(at int, text string) {
	if at == len(f.lines) && at > 0 && f.lines[at-1].eol == "" {
		f.lines[at-1].eol = "\n" // exactly what restore takes away (kdeNoFinalEnd)
	}
	f.lines = slices.Insert(f.lines, at, iniLine{text: text, eol: f.nl})
}

func (f *iniFile) delete(i int) {
	f.lines = slices.Delete(f.lines, i, i+1)
}

// set gives key the raw value: on its last line in the proxy group (the
// one KDE reads), keeping the line's "key=" as it is; else on a new line
// at the end of the group, which is created at the end of the file when
// missing.
func (f *iniFile) set(key, value string) {
	headers, keys, after := f.scan()
	if ls := keys[key]; len(ls) > 0 {
		i := ls[len(ls)-1]
		prefix, _, _ := strings.Cut(f.lines[i].text, "=")
		f.lines[i].text = prefix + "=" + value
		return
	}
	if len(headers) == 0 {
		f.insert(len(f.lines), KDEGroup)
		after = len(f.lines) - 1
	}
	f.insert(after+1, key+"="+value)
}

// ReadKioslaverc is what Read returns for the file's contents (exists:
// whether there is a file): each key's raw value (after the '=') on its
// last line in the proxy group, the others Absent, with the group and the
// file when missing.
func ReadKioslaverc(data []byte, exists bool) Saved {
	f := parseINI(data)
	headers, keys, _ := f.scan()
	s := Saved{Desktop: "kde", Values: map[string]string{}}
	for _, k := range kdeKeys {
		ls := keys[k]
		if len(ls) == 0 {
			s.Absent = append(s.Absent, k)
			continue
		}
		_, v, _ := strings.Cut(f.lines[ls[len(ls)-1]].text, "=")
		s.Values[k] = v
	}
	if len(headers) == 0 {
		s.Absent = append(s.Absent, kdeNoGroup)
	}
	if !exists {
		s.Absent = append(s.Absent, kdeNoFile)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		s.Absent = append(s.Absent, kdeNoFinalEnd)
	}
	return s
}

// SetKioslaverc is data with each key of values set (values are one line
// each), every other line kept byte for byte.
func SetKioslaverc(data []byte, values map[string]string) []byte {
	f := parseINI(data)
	for _, k := range slices.Sorted(maps.Keys(values)) {
		f.set(k, values[k])
	}
	return f.bytes()
}

// RestoreKioslaverc is data with s put back: its values set, its absent
// keys' lines deleted from the proxy group, and the group's header
// deleted when s says there was none and it holds nothing else now.
func RestoreKioslaverc(data []byte, s Saved) []byte {
	f := parseINI(data)
	for _, k := range kdeKeys {
		if v, ok := s.Values[k]; ok {
			f.set(k, v)
		}
	}
	for _, k := range s.Absent {
		if !slices.Contains(kdeKeys, k) {
			continue
		}
		for {
			_, keys, _ := f.scan()
			ls := keys[k]
			if len(ls) == 0 {
				break
			}
			f.delete(ls[len(ls)-1])
		}
	}
	if slices.Contains(s.Absent, kdeNoGroup) {
		headers, _, _ := f.scan()
		for j := len(headers) - 1; j >= 0; j-- {
			h := headers[j]
			empty := true
			for i := h + 1; i < len(f.lines); i++ {
				if _, g := isGroup(f.lines[i].text); g {
					break
				}
				if strings.TrimSpace(f.lines[i].text) != "" {
					empty = false
					break
				}
			}
			if empty {
				f.delete(h)
			}
		}
	}
	out := f.bytes()
	if slices.Contains(s.Absent, kdeNoFinalEnd) && len(out) > 0 && out[len(out)-1] == '\n' {
		out = out[:len(out)-1]
	}
	return out
}
