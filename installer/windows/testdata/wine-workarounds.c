/*
 * Test-only workaround for Wine 8.0 (Debian 12), which does not implement
 * the SIO_UDP_NETRESET ioctl: WSAIoctl fails with WSAEOPNOTSUPP (10045).
 * Go >= 1.23's net package sets it on every UDP socket (golang/go#68614)
 * and gives up when it fails, so no Go program can open a UDP socket
 * under this Wine ("listen udp4 127.0.0.1:0: wsaioctl: winapi error
 * #10045"), and relais.exe's userspace WireGuard tunnel never starts.
 *
 * Built into the test prefix's bcryptprimitives.dll only (see
 * wine-bcryptprimitives.c: the Go runtime loads that DLL at start and
 * calls ProcessPrng before main), never shipped. On the first call it
 * points ws2_32.dll's export of WSAIoctl at a wrapper that turns exactly
 * that failure (SIO_UDP_NETRESET, WSAEOPNOTSUPP) into success — Linux
 * sockets report no such ICMP errors anyway — and passes every other call
 * through unchanged. The Go program's own lookup (GetProcAddress) then
 * finds the wrapper; nothing else of relais.exe is changed. With
 * RELAIS_WINE_NO_NETRESET set, nothing is patched.
 */
#include <winsock2.h>
#include <windows.h>
#include <string.h>

#ifndef SIO_UDP_NETRESET
#define SIO_UDP_NETRESET _WSAIOW(IOC_VENDOR, 15)
#endif

typedef int(WSAAPI *wsaioctl_fn)(SOCKET, DWORD, LPVOID, DWORD, LPVOID, DWORD, LPDWORD,
				 LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE);

static wsaioctl_fn real_wsaioctl;
static LONG patched;

static int WSAAPI netreset_wsaioctl(SOCKET s, DWORD code, LPVOID in, DWORD inlen, LPVOID out,
				    DWORD outlen, LPDWORD ret, LPWSAOVERLAPPED ov,
				    LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
	int r = real_wsaioctl(s, code, in, inlen, out, outlen, ret, ov, cr);
	if (r == SOCKET_ERROR && code == SIO_UDP_NETRESET && GetLastError() == WSAEOPNOTSUPP) {
		if (ret)
			*ret = 0;
		SetLastError(0);
		return 0;
	}
	return r;
}

void relais_wine_udp_netreset(void)
{
	if (InterlockedCompareExchange(&patched, 1, 0) != 0)
		return;
	/* The test sets this to show the failure the workaround is for. */
	if (GetEnvironmentVariableA("RELAIS_WINE_NO_NETRESET", NULL, 0) > 0)
		return;
	BYTE *base = (BYTE *)LoadLibraryA("ws2_32.dll");
	if (!base)
		return;
	IMAGE_NT_HEADERS64 *nt = (IMAGE_NT_HEADERS64 *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
	IMAGE_DATA_DIRECTORY dir = nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT];
	IMAGE_EXPORT_DIRECTORY *ex = (IMAGE_EXPORT_DIRECTORY *)(base + dir.VirtualAddress);
	DWORD *names = (DWORD *)(base + ex->AddressOfNames);
	WORD *ords = (WORD *)(base + ex->AddressOfNameOrdinals);
	DWORD *funcs = (DWORD *)(base + ex->AddressOfFunctions);
	DWORD *slot = NULL;
	for (DWORD i = 0; i < ex->NumberOfNames; i++) {
		if (strcmp((char *)(base + names[i]), "WSAIoctl") == 0) {
			slot = &funcs[ords[i]];
			break;
		}
	}
	if (!slot)
		return;
	/* An export is a 32-bit offset from the DLL's base: the jump to the
	 * wrapper goes in a page allocated above the DLL, within 4 GB. */
	BYTE *tramp = NULL;
	ULONG_PTR start = ((ULONG_PTR)base + nt->OptionalHeader.SizeOfImage + 0xFFFF) & ~(ULONG_PTR)0xFFFF;
	for (ULONG_PTR a = start; a < (ULONG_PTR)base + 0xF0000000u && !tramp; a += 0x10000)
		tramp = VirtualAlloc((void *)a, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE);
	if (!tramp)
		return;
	void *target = (void *)netreset_wsaioctl;
	tramp[0] = 0x48; /* movabs rax, target */
	tramp[1] = 0xB8;
	memcpy(tramp + 2, &target, sizeof target);
	tramp[10] = 0xFF; /* jmp rax */
	tramp[11] = 0xE0;
	FlushInstructionCache(GetCurrentProcess(), tramp, 12);
	real_wsaioctl = (wsaioctl_fn)(base + *slot);
	DWORD old;
	if (!VirtualProtect(slot, sizeof *slot, PAGE_READWRITE, &old))
		return;
	*slot = (DWORD)(tramp - base);
	VirtualProtect(slot, sizeof *slot, old, &old);
}
