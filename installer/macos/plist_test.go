package macos_test

import (
	"encoding/xml"
	"os"
	"strings"
	"testing"
)

// The helper's LaunchDaemon is a well-formed property list that starts
// `relais helper` from the app bundle `fyne package -os darwin` makes, and
// FyneApp.toml names what that packaging needs.
func TestLaunchDaemon(t *testing.T) {
	b, err := os.ReadFile("org.relais.Relais.helper.plist")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Dict struct {
			Items []struct {
				XMLName xml.Name
				Text    string   `xml:",chardata"`
				Strings []string `xml:"string"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	values := map[string]int{}
	items := doc.Dict.Items
	for i := 0; i+1 < len(items); i++ {
		if items[i].XMLName.Local == "key" {
			values[items[i].Text] = i + 1
		}
	}
	if i, ok := values["Label"]; !ok || items[i].Text != "org.relais.Relais.helper" {
		t.Errorf("Label: %+v", values)
	}
	i, ok := values["ProgramArguments"]
	if !ok || items[i].XMLName.Local != "array" || len(items[i].Strings) < 2 ||
		items[i].Strings[0] != "/Applications/Relais.app/Contents/MacOS/relais" || items[i].Strings[1] != "helper" {
		t.Errorf("ProgramArguments: %+v", items[i])
	}
	if _, ok := values["RunAtLoad"]; !ok {
		t.Error("no RunAtLoad")
	}

	toml, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`ID = "org.relais.Relais"`, `Name = "Relais"`, `Icon = "assets/icon.png"`, "Version = ", "Build = "} {
		if !strings.Contains(string(toml), want) {
			t.Errorf("FyneApp.toml lacks %s", want)
		}
	}
}
