//go:build gui && nogui

package main

// Both tags at once is a mistake: refuse to build rather than pick one.
var _ int = "the build tags gui and nogui exclude each other: choose one"
