package helper

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// peerCred reads the connecting process's credentials from the kernel
// (SO_PEERCRED): what it was when it connected, not what it claims.
func peerCred(c net.Conn) (*unix.Ucred, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, fmt.Errorf("not a Unix socket connection")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	return cred, cerr
}

// groupAuthorizer accepts root and the members of group gid (primary or
// supplementary); hasGroup false accepts root only. groupsOf reads a
// process's supplementary groups.
func groupAuthorizer(gid uint32, hasGroup bool, groupName string, groupsOf func(pid int32) ([]uint32, error)) func(net.Conn) error {
	return func(c net.Conn) error {
		cred, err := peerCred(c)
		if err != nil {
			return errorf(CodeForbidden, "cannot identify the caller: %v", err)
		}
		if cred.Uid == 0 {
			return nil
		}
		if hasGroup {
			if cred.Gid == gid {
				return nil
			}
			if cred.Pid > 0 {
				groups, err := groupsOf(cred.Pid)
				if err == nil {
					for _, g := range groups {
						if g == gid {
							return nil
						}
					}
				}
			}
			return errorf(CodeForbidden, "uid %d (pid %d) is neither root nor a member of group %s", cred.Uid, cred.Pid, groupName)
		}
		return errorf(CodeForbidden, "uid %d (pid %d) is not root, and group %s does not exist on this machine", cred.Uid, cred.Pid, groupName)
	}
}

// procGroups reads a process's supplementary groups from /proc.
func procGroups(pid int32) ([]uint32, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(int(pid)) + "/status")
	if err != nil {
		return nil, err
	}
	return parseStatusGroups(b)
}

// parseStatusGroups reads the "Groups:" line of /proc/PID/status.
func parseStatusGroups(status []byte) ([]uint32, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "Groups:")
		if !ok {
			continue
		}
		var out []uint32
		for _, f := range strings.Fields(rest) {
			g, err := strconv.ParseUint(f, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("helper: /proc status: Groups: %q", f)
			}
			out = append(out, uint32(g))
		}
		return out, nil
	}
	return nil, fmt.Errorf("helper: /proc status has no Groups line")
}
