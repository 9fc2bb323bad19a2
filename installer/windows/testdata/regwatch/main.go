//go:build windows

// regwatch prints HKCU\<key>'s value <name> each time it changes, reading
// it every 20 ms in one process, until stdin closes: the wine tests watch
// the registry while relais.exe runs (a `wine reg query` per read is too
// slow to start beside a running program). It prints "ready" first, then
// one line per value seen: "absent", or "<type> <data>".
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/windows/registry"
)

func read(key, name string) string {
	k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return "absent"
	}
	if err != nil {
		return "error " + err.Error()
	}
	defer k.Close()
	v, typ, err := k.GetStringValue(name)
	switch {
	case errors.Is(err, registry.ErrNotExist):
		return "absent"
	case err != nil:
		return "error " + err.Error()
	case typ == registry.EXPAND_SZ:
		return "REG_EXPAND_SZ " + v
	}
	return "REG_SZ " + v
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: regwatch KEY NAME")
		os.Exit(2)
	}
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		close(closed)
	}()
	last := read(os.Args[1], os.Args[2])
	fmt.Println("ready")
	fmt.Println(last)
	for {
		select {
		case <-closed:
			return
		case <-time.After(20 * time.Millisecond):
		}
		if v := read(os.Args[1], os.Args[2]); v != last {
			fmt.Println(v)
			last = v
		}
	}
}
