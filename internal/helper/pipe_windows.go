//go:build windows

package helper

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// The helper's named pipe, as the Unix socket elsewhere: the same JSON-lines
// protocol, served by the same Server over a net.Listener.

// pipeClientAccess is what a caller may do on the pipe: read and write data
// and attributes, but not FILE_CREATE_PIPE_INSTANCE (the FILE_APPEND_DATA
// bit of GENERIC_WRITE), so that no unprivileged process can add its own
// instance of the pipe and receive other callers' private keys.
const pipeClientAccess = windows.FILE_READ_DATA | windows.FILE_WRITE_DATA |
	windows.FILE_READ_EA | windows.FILE_WRITE_EA |
	windows.FILE_READ_ATTRIBUTES | windows.FILE_WRITE_ATTRIBUTES |
	windows.READ_CONTROL | windows.SYNCHRONIZE

// pipeSDDL is the pipe's security descriptor: SYSTEM and Administrators
// full control, callers (clientSID: a local "relais" group when it exists,
// else BUILTIN\Users) read/write without creating instances, network
// logons denied (the pipe also rejects remote clients).
func pipeSDDL(clientSID string) string {
	return fmt.Sprintf("D:P(D;;GA;;;NU)(A;;GA;;;SY)(A;;GA;;;BA)(A;;0x%x;;;%s)", pipeClientAccess, clientSID)
}

// callersSID returns the SID string of the local group allowed to use the
// helper: group when it exists on this machine, else "BU" (Users).
func callersSID(group string) (sid string, isGroup bool) {
	if group == "" {
		return "BU", false
	}
	s, _, typ, err := windows.LookupSID("", group)
	if err != nil || (typ != windows.SidTypeAlias && typ != windows.SidTypeGroup && typ != windows.SidTypeWellKnownGroup) {
		return "BU", false
	}
	return s.String(), true
}

// listenPipe creates the pipe. A second helper fails here: the first
// instance is created with FILE_FLAG_FIRST_PIPE_INSTANCE.
func listenPipe(path, clientSID string) (net.Listener, error) {
	l, err := winio.ListenPipe(path, &winio.PipeConfig{
		SecurityDescriptor: pipeSDDL(clientSID),
		InputBufferSize:    64 << 10,
		OutputBufferSize:   64 << 10,
	})
	if err != nil {
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_PIPE_BUSY) {
			return nil, fmt.Errorf("helper: another helper already listens on %s: %w", path, err)
		}
		return nil, fmt.Errorf("helper: %s: %w", path, err)
	}
	return l, nil
}

// dialSocket connects to the helper's pipe and checks that it belongs to
// SYSTEM or Administrators, so that a pipe squatted by an ordinary process
// never receives the device's private key. (The serving process's own
// account is not checked: a standard user cannot open a SYSTEM process's
// token; an ordinary process cannot make a pipe SYSTEM or Administrators
// own.)
func dialSocket(ctx context.Context, path string) (net.Conn, error) {
	c, err := winio.DialPipeAccess(ctx, path, pipeClientAccess)
	if err != nil {
		return nil, err
	}
	if err := checkPipeOwner(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func checkPipeOwner(c net.Conn) error {
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return errorf(CodeNotRoot, "cannot check the pipe's owner: nothing was sent to it")
	}
	sd, err := windows.GetSecurityInfo(windows.Handle(f.Fd()), windows.SE_KERNEL_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return errorf(CodeNotRoot, "reading the pipe's owner: %v: nothing was sent to it", err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return errorf(CodeNotRoot, "reading the pipe's owner: %v: nothing was sent to it", err)
	}
	if owner.IsWellKnown(windows.WinLocalSystemSid) || owner.IsWellKnown(windows.WinBuiltinAdministratorsSid) {
		return nil
	}
	return errorf(CodeNotRoot, "the pipe belongs to %s, neither SYSTEM nor Administrators: nothing was sent to it", owner)
}
