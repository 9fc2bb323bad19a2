// Package version says which Relais this is: its version and commit (set at
// link time by the Makefile) and the Go and Fyne versions it was built with.
// It must stay free of dependencies so every package may import it.
package version

import (
	"runtime"
	"runtime/debug"
)

// Set with -ldflags "-X relais/internal/version.Version=… -X relais/internal/version.Commit=…".
var (
	Version = "0.1.0-dev"
	Commit  = ""
)

// Info describes the running binary.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Go      string `json:"go"`
	Fyne    string `json:"fyne"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

// Get returns the running binary's Info. Commit falls back to the VCS
// revision Go embedded at build time, when there is one; Fyne's version is
// read from the module list, so this package never imports Fyne.
func Get() Info {
	in := Info{Version: Version, Commit: Commit, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, Fyne: "none"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return in
	}
	for _, d := range bi.Deps {
		if d.Path == "fyne.io/fyne/v2" {
			in.Fyne = d.Version
			if d.Replace != nil {
				in.Fyne = d.Replace.Version
			}
		}
	}
	if in.Commit == "" {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				in.Commit = s.Value[:12]
			}
		}
	}
	if in.Commit == "" {
		in.Commit = "unknown"
	}
	return in
}
