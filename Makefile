# Relais — build, run and test on a Debian machine with Go.
# `make run` and `make test` install the Debian packages they need (we are
# root on the machines this targets; otherwise run `sudo make deps` once).

GO          ?= go
VERSION     ?= 0.1.0-dev
COMMIT      ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -X relais/internal/version.Version=$(VERSION) -X relais/internal/version.Commit=$(COMMIT)
# The MSI's version must be numeric (MAJOR.MINOR.PATCH).
MSI_VERSION ?= $(shell echo $(VERSION) | sed 's/[^0-9.].*//')
FUZZTIME    ?= 60s
BENCHTIME   ?= 1s

# Debian packages: cgo and Fyne's OpenGL/X11 headers for the build; for the
# tests, minisign (a profile signed by the real tool), Xvfb, xwininfo and
# ImageMagick (a real window, found and photographed), wireguard-go and
# wireguard-tools (the real WireGuard peer), iproute2 (network namespaces),
# curl, gnome-keyring under dbus-run-session (a real Secret Service), and
# desktop-file-validate and gio (the login autostart entry, validated and
# launched by GLib's own parser), xdotool and pgrep (a real click on the
# real window), Chromium (the diagnostics summary page rendered headless)
# and ping (the diagnostics' gateway check); lintian, debootstrap, rpm,
# appstream, systemd-analyze, strip and file (the Linux packages, built with
# nfpm, linted, and installed into a Debian root made with debootstrap;
# gcc and libgl1-mesa-dev also make the libGL program package-server.sh
# must refuse, setpriv runs the installed server as its user);
# bash, zsh, fish, groff and man (the shell completion scripts and the manual
# page, run or checked by the real tools); mingw-w64, msitools/wixl and wine (relais.exe cross-compiled with cgo, the
# MSI built and read back, the exe run under wine); nodejs (the PAC file run
# as a browser would, with its decision table); dconf-service,
# dconf-gsettings-backend, dconf-cli and gsettings-desktop-schemas (the
# per-user system proxy set and restored in a real GSettings).
DEB_PACKAGES := gcc libc6-dev pkg-config git libgl1-mesa-dev xorg-dev \
                minisign xvfb x11-utils imagemagick \
                wireguard-go wireguard-tools iproute2 curl \
                dbus dbus-daemon gnome-keyring libsecret-tools \
                desktop-file-utils libglib2.0-bin xdotool procps chromium iputils-ping \
                xdg-utils libreoffice-calc-nogui \
                bash zsh fish groff-base man-db \
                lintian debootstrap rpm appstream systemd binutils file util-linux \
                gcc-mingw-w64-x86-64 msitools wixl wine64 wine python3 postgresql nodejs \
                dconf-service dconf-gsettings-backend dconf-cli gsettings-desktop-schemas

.PHONY: all deps build nogui run demo screenshots test test-unit lint fmt bench fuzz package clean

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o relais .

# The command line and the helper without the window (-tags nogui): no
# Fyne, no cgo graphics, no OpenGL or X11 library; for servers and for the
# helper service. Running it without a command says that it has no window.
nogui:
	$(GO) build -trimpath -tags nogui -ldflags "$(LDFLAGS)" -o relais-nogui .

# The desktop app. Without a managed configuration (a fresh machine) it runs
# on the embedded demo office: nothing to configure.
run: build
	./relais

# The desktop app on the demo office, even where a managed configuration
# exists.
demo: build
	./relais demo

# Every screen of the real app under Xvfb, in French and in English, after a
# real click on Mode urgence, into assets/screenshots/ (the README shows
# some).
screenshots: deps
	mkdir -p assets/screenshots
	RELAIS_SCREENSHOTS=$(CURDIR)/assets/screenshots $(GO) test -count=1 -run '^TestGUIModeUrgenceUnderXvfb$$' -v .
	RELAIS_SCREENSHOTS=$(CURDIR)/assets/screenshots $(GO) test -count=1 -run '^TestDrillsDemoOfficeFromTheGUI$$' ./app/
	RELAIS_SCREENSHOTS=$(CURDIR)/assets/screenshots $(GO) test -count=1 -run 'Chromium' ./internal/diag/

# Go tools (staticcheck, nfpm) are pinned in go.mod with `tool` directives
# and run with `go tool`: a fresh machine gets exactly those versions, and
# nothing is taken from whatever happens to be in $GOPATH/bin.
STATICCHECK := $(GO) tool staticcheck

# Everything that can be built here, into dist/, with SHA256SUMS: the Linux
# .deb and .rpm (nfpm) and the Windows MSI (wixl). The macOS app needs a Mac
# (installer/macos/README.md).
#
# The Linux packages carry two builds: /usr/bin/relais with the window, and
# the helper the service runs as root, built with -tags nogui (no Fyne, no
# OpenGL or X11 library). So does the MSI: relais.exe, and relais-helper.exe
# (-tags nogui, no OpenGL or GDI DLL) which the RelaisHelper service runs.
# The relais-server .deb and .rpm carry only the nogui build, as
# /usr/bin/relais-server (relais serve: a server needs no graphics library).
package: deps
	rm -rf dist && mkdir -p dist
	$(GO) build -trimpath -buildmode=pie -ldflags "$(LDFLAGS)" -o dist/relais .
	$(GO) build -trimpath -buildmode=pie -tags nogui -ldflags "$(LDFLAGS)" -o dist/relais-helper .
	installer/linux/package.sh $(VERSION) dist/relais dist/relais-helper dist
	installer/linux/package-server.sh $(VERSION) dist/relais-helper dist
	rm -f dist/relais dist/relais-helper
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
	  $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o dist/relais.exe .
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
	  $(GO) build -trimpath -tags nogui -ldflags "$(LDFLAGS)" -o dist/relais-helper.exe .
	installer/windows/build-msi.sh $(MSI_VERSION) dist/relais.exe dist/relais-helper.exe dist
	rm -f dist/relais-helper.exe
	cd dist && sha256sum * > SHA256SUMS && cat SHA256SUMS

fmt:
	gofmt -w .

lint: deps
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

# Every test, with the race detector. Set RELAIS_REQUIRE_E2E=1 (CI does) to
# make tests that need root, a display or a keyring fail instead of skip.
test: lint
	$(GO) test -race -count=1 -timeout 30m ./...

# Unit tests only, fast, no lint.
test-unit:
	$(GO) test -count=1 ./...

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

# Longer fuzzing of every parser (FUZZTIME each). `make test` runs their
# seed corpora.
FUZZ_TARGETS := ./internal/profile/:FuzzParse ./internal/profile/:FuzzSplitCondition \
                ./internal/config/:FuzzParseManaged ./internal/checks/:FuzzCondition \
                ./internal/wgconf/:FuzzParse ./internal/autostart/:FuzzExecArg \
                ./internal/drills/:FuzzParseReport ./internal/diag/:FuzzOpen ./internal/redact/:FuzzText ./internal/redact/:FuzzURL \
                ./internal/diag/:FuzzAnonymise ./internal/diag/:FuzzParseProcRoute ./internal/diag/:FuzzParseIPv6Route \
                ./internal/resolvconf/:FuzzParse ./internal/diag/:FuzzParseOSRelease ./internal/diag/:FuzzParseUptime \
                ./internal/server/config/:FuzzParse ./internal/casecode/:FuzzValid ./internal/notices/:FuzzParse \
                ./internal/sysproxy/:FuzzKioslaverc ./internal/sysproxy/:FuzzGVariantString \
                ./internal/sysproxy/:FuzzParseRegValue
fuzz: deps
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

clean:
	rm -f relais relais-nogui
	rm -rf dist
