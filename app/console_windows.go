//go:build windows

package app

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// relais.exe is a console program, so that its command line prints; started
// from the Start menu for its window, it would keep an empty console beside
// it. When that console is its own (no shell shares it), it lets it go.
var (
	kernel32                  = windows.NewLazySystemDLL("kernel32.dll")
	procGetConsoleProcessList = kernel32.NewProc("GetConsoleProcessList")
	procFreeConsole           = kernel32.NewProc("FreeConsole")
)

func detachOwnConsole() {
	var ids [2]uint32
	n, _, _ := procGetConsoleProcessList.Call(uintptr(unsafe.Pointer(&ids[0])), uintptr(len(ids)))
	if n == 1 {
		procFreeConsole.Call()
	}
}
