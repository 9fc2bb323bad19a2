/*
 * Test-only workarounds for what Wine 8.0 (Debian 12) lacks and Go's
 * standard library needs, built into the test prefix's
 * bcryptprimitives.dll only (see wine-bcryptprimitives.c: the Go runtime
 * loads that DLL at start and calls ProcessPrng before main), never
 * shipped. On the first call, each workaround points one export of a
 * Wine DLL at a wrapper that turns exactly one failure into what real
 * Windows does, and passes every other call through unchanged; the Go
 * program's own lookup (GetProcAddress) then finds the wrapper. Nothing of
 * relais.exe is changed.
 *
 * 1. SIO_UDP_NETRESET. Wine 8.0 does not implement this ioctl: WSAIoctl
 *    fails with WSAEOPNOTSUPP (10045). Go >= 1.23's net package sets it on
 *    every UDP socket (golang/go#68614) and gives up when it fails, so no
 *    Go program opens a UDP socket under this Wine ("listen udp4
 *    127.0.0.1:0: wsaioctl: winapi error #10045") and relais.exe's
 *    userspace WireGuard tunnel never starts. The wrapper makes that
 *    failure a success (Linux sockets report no such ICMP errors anyway).
 *    With RELAIS_WINE_NO_NETRESET set, it is not applied.
 *
 * 2. FileDispositionInformationEx. Go >= 1.26's os.RemoveAll deletes each
 *    file with NtSetInformationFile(FileDispositionInformationEx), falling
 *    back to the older call when Windows says the class or a flag is not
 *    supported; Wine 8.0 answers STATUS_NOT_IMPLEMENTED instead, which Go
 *    reports ("unlinkat …: Invalid function"), so no directory with a file
 *    in it can be removed. The wrapper answers STATUS_INVALID_INFO_CLASS,
 *    as a Windows without the class does, and Go falls back.
 */
#include <winsock2.h>
#include <windows.h>
#include <winternl.h>
#include <string.h>

#ifndef SIO_UDP_NETRESET
#define SIO_UDP_NETRESET _WSAIOW(IOC_VENDOR, 15)
#endif

/* patch_export points dll's export name at hook, through a jump placed
 * within 4 GB above the DLL (an export is a 32-bit offset from the DLL's
 * base), and returns the export's previous address (NULL: not patched). */
static void *patch_export(const char *dll, const char *name, void *hook)
{
	BYTE *base = (BYTE *)LoadLibraryA(dll);
	if (!base)
		return NULL;
	IMAGE_NT_HEADERS64 *nt = (IMAGE_NT_HEADERS64 *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
	IMAGE_DATA_DIRECTORY dir = nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT];
	IMAGE_EXPORT_DIRECTORY *ex = (IMAGE_EXPORT_DIRECTORY *)(base + dir.VirtualAddress);
	DWORD *names = (DWORD *)(base + ex->AddressOfNames);
	WORD *ords = (WORD *)(base + ex->AddressOfNameOrdinals);
	DWORD *funcs = (DWORD *)(base + ex->AddressOfFunctions);
	DWORD *slot = NULL;
	for (DWORD i = 0; i < ex->NumberOfNames; i++) {
		if (strcmp((char *)(base + names[i]), name) == 0) {
			slot = &funcs[ords[i]];
			break;
		}
	}
	if (!slot)
		return NULL;
	BYTE *tramp = NULL;
	ULONG_PTR start = ((ULONG_PTR)base + nt->OptionalHeader.SizeOfImage + 0xFFFF) & ~(ULONG_PTR)0xFFFF;
	for (ULONG_PTR a = start; a < (ULONG_PTR)base + 0xF0000000u && !tramp; a += 0x10000)
		tramp = VirtualAlloc((void *)a, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE);
	if (!tramp)
		return NULL;
	tramp[0] = 0x48; /* movabs rax, hook */
	tramp[1] = 0xB8;
	memcpy(tramp + 2, &hook, sizeof hook);
	tramp[10] = 0xFF; /* jmp rax */
	tramp[11] = 0xE0;
	FlushInstructionCache(GetCurrentProcess(), tramp, 12);
	void *real = base + *slot;
	DWORD old;
	if (!VirtualProtect(slot, sizeof *slot, PAGE_READWRITE, &old))
		return NULL;
	*slot = (DWORD)(tramp - base);
	VirtualProtect(slot, sizeof *slot, old, &old);
	return real;
}

typedef int(WSAAPI *wsaioctl_fn)(SOCKET, DWORD, LPVOID, DWORD, LPVOID, DWORD, LPDWORD,
				 LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE);
static wsaioctl_fn real_wsaioctl;

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

#define FILE_DISPOSITION_INFORMATION_EX_CLASS 64
#define STATUS_NOT_IMPLEMENTED_ ((NTSTATUS)0xC0000002L)
#define STATUS_INVALID_INFO_CLASS_ ((NTSTATUS)0xC0000003L)

typedef NTSTATUS(NTAPI *setinfo_fn)(HANDLE, PIO_STATUS_BLOCK, PVOID, ULONG, ULONG);
static setinfo_fn real_setinfo;

static NTSTATUS NTAPI dispositionex_setinfo(HANDLE h, PIO_STATUS_BLOCK iosb, PVOID info, ULONG len,
					    ULONG class)
{
	NTSTATUS st = real_setinfo(h, iosb, info, len, class);
	if (st == STATUS_NOT_IMPLEMENTED_ && class == FILE_DISPOSITION_INFORMATION_EX_CLASS)
		return STATUS_INVALID_INFO_CLASS_;
	return st;
}

static LONG applied;

void relais_wine_workarounds(void)
{
	if (InterlockedCompareExchange(&applied, 1, 0) != 0)
		return;
	/* The test sets this to show the failure the workaround is for. */
	if (GetEnvironmentVariableA("RELAIS_WINE_NO_NETRESET", NULL, 0) == 0)
		real_wsaioctl = (wsaioctl_fn)patch_export("ws2_32.dll", "WSAIoctl", (void *)netreset_wsaioctl);
	real_setinfo = (setinfo_fn)patch_export("ntdll.dll", "NtSetInformationFile", (void *)dispositionex_setinfo);
}
