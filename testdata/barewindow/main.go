// Command barewindow is the yardstick of `make bench`: the smallest Fyne
// program that opens a window, built the same way as relais, so that the
// app's start-up and idle costs are measured against Fyne's own.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("org.relais.BareWindow")
	w := a.NewWindow("BareWindow")
	w.SetContent(widget.NewLabel("BareWindow"))
	w.Resize(fyne.NewSize(800, 600))
	w.ShowAndRun()
}
