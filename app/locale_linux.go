//go:build linux && cgo

package app

/*
#include <stdlib.h>
#include <string.h>

// Fyne's lang package reads the locale in its init, before any Go code of
// ours can run, and logs "Error parsing user locale C" for the common
// POSIX locale C.UTF-8 (it keeps the "C" before the dot, which is not a
// language tag). Every invocation would print that error, the CLI's too.
// This constructor runs when the program is loaded, before the Go runtime
// starts: it shortens such values to plain "C" in place (which the locale
// library treats as "no preference") and remembers the original, which
// restoreLocaleEnv puts back before anything else reads it.
static char *relais_saved[3];
static const char *relais_names[3] = {"LC_ALL=", "LC_MESSAGES=", "LANG="};

__attribute__((constructor))
static void relais_hide_c_locale(int argc, char **argv, char **envp) {
	(void)argc; (void)argv;
	if (envp == NULL) return;
	for (char **e = envp; *e != NULL; e++) {
		for (int i = 0; i < 3; i++) {
			size_t n = strlen(relais_names[i]);
			if (strncmp(*e, relais_names[i], n) != 0) continue;
			char *v = *e + n;
			if ((v[0] == 'C' && v[1] == '.') || strncmp(v, "POSIX.", 6) == 0) {
				relais_saved[i] = strdup(v);
				v[v[0] == 'C' ? 1 : 5] = '\0';
			}
		}
	}
}

static char *relais_saved_locale(int i) { return relais_saved[i]; }
*/
import "C"

import "os"

// restoreLocaleEnv puts back the locale variables the loader-time
// constructor shortened, so that our own language detection and the
// programs we start see the user's real environment.
func restoreLocaleEnv() {
	for i, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := C.relais_saved_locale(C.int(i)); v != nil {
			os.Setenv(name, C.GoString(v))
		}
	}
}
