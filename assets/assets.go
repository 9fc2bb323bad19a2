// Package assets holds the files Relais embeds in its binary: the FR/EN
// translations shared by the GUI (through Fyne's lang package) and the CLI,
// and the application icon. It holds data only, never code with behaviour.
package assets

import "embed"

// Translations holds translations/[PART.]fr.json and [PART.]en.json (one
// pair per area of the product): flat maps from a message key to its text. CLI messages use fmt verbs (%s, %d); the GUI
// reads the same files through Fyne's lang package.
//
//go:embed translations/*.json
var Translations embed.FS

// Icon is the application icon (PNG, 256×256).
//
//go:embed icon.png
var Icon []byte
