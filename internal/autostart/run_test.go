package autostart

import "testing"

func TestRunValue(t *testing.T) {
	for exec, want := range map[string]string{
		`C:\Program Files\Relais\relais.exe`:           `"C:\Program Files\Relais\relais.exe"`,
		`C:\Users\Zoé\AppData\Local\Relais\relais.exe`: `"C:\Users\Zoé\AppData\Local\Relais\relais.exe"`,
		`\\server\share\relais.exe`:                    `"\\server\share\relais.exe"`,
	} {
		if got := RunValue(Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: exec}); got != want {
			t.Errorf("RunValue(%s) = %s, want %s", exec, got, want)
		}
	}
}

func TestStartupApprovedDisabled(t *testing.T) {
	for _, tt := range []struct {
		data []byte
		want bool
	}{
		{nil, false},
		{[]byte{0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false},
		{[]byte{0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false},
		{[]byte{0x03, 0, 0, 0, 0x17, 0x79, 0xBD, 0x01, 0x17, 0xD9, 0xD1, 0x01}, true},
		{[]byte{0x07, 0, 0, 0, 0x71, 0xC9, 0x33, 0xAE, 0x16, 0xD9, 0xD1, 0x01}, true},
	} {
		if got := startupApprovedDisabled(tt.data); got != tt.want {
			t.Errorf("% x: disabled=%v, want %v", tt.data, got, tt.want)
		}
	}
}
