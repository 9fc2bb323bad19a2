package autostart

import (
	"encoding/xml"
	"strings"
)

// LaunchAgentPlist renders the launchd property list for e: launchd starts
// the binary when the user's session loads the agent, that is at login.
// ProcessType Interactive keeps launchd from throttling a program people
// use. Every string is XML-escaped.
func LaunchAgentPlist(e Entry) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>`)
	escapeXML(&b, e.AppID)
	b.WriteString(`</string>
	<key>ProgramArguments</key>
	<array>
		<string>`)
	escapeXML(&b, e.Exec)
	b.WriteString(`</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`)
	return b.String()
}

func escapeXML(b *strings.Builder, s string) {
	// xml.EscapeText writes to a strings.Builder, which never fails.
	_ = xml.EscapeText(b, []byte(s))
}
