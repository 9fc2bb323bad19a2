// Package e2e holds the end-to-end tests that need root and network
// namespaces: Relais against a WireGuard peer it did not write (Debian's
// wireguard-go and wg) in userspace and system mode, and the privileged
// helper's security properties. Its tests re-execute the test binary as
// `relais`, as the office's web server, or as a client inside a namespace.
//
// Every namespace, link and file a test creates is named for that test
// run and removed when it ends; nothing touches the host's own network.
// The package has no code for the app and must never be imported.
package e2e
