/*
 * Test-only shim for Wine < 9 (Debian 12 ships Wine 8.0), which lacks
 * bcryptprimitives.dll: Go >= 1.24's runtime loads it at start for
 * ProcessPrng and aborts without it ("bcryptprimitives.dll not found").
 * wine_test.go compiles this with mingw-w64 into the test's Wine prefix only;
 * it is never shipped. ProcessPrng fills the buffer from the system RNG.
 * Its first call also applies wine-workarounds.c's workarounds, built into
 * the same DLL: the runtime calls ProcessPrng before the program's main.
 */
#include <windows.h>
#include <bcrypt.h>

void relais_wine_workarounds(void);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	relais_wine_workarounds();
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
