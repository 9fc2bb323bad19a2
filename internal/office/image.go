package office

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
)

// ButtonAsset is the id of the demo's picture of the Mode urgence button,
// as pages and drill steps refer to it (asset:bouton.png).
const ButtonAsset = "bouton.png"

// Button picture size, in pixels.
const buttonWidth, buttonHeight = 160, 90

// Colours of the picture: the button's blue, and the lifebuoy's red and
// white.
var (
	buttonBlue  = color.NRGBA{0x1d, 0x4e, 0xd8, 0xff}
	buoyRed     = color.NRGBA{0xdc, 0x26, 0x26, 0xff}
	buoyWhite   = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	buttonShade = color.NRGBA{0x10, 0x2a, 0x7a, 0xff}
)

// glyphs is a 5×7 bitmap font for the letters of "MODE URGENCE", one
// string of five columns per row ('#' lit).
var glyphs = map[rune][7]string{
	'M': {"#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"},
	'O': {".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."},
	'D': {"####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."},
	'E': {"#####", "#....", "#....", "####.", "#....", "#....", "#####"},
	'U': {"#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."},
	'R': {"####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"},
	'G': {".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".###."},
	'N': {"#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#", "#...#"},
	'C': {".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."},
}

// buttonPNG draws the demo picture: a big blue rounded button with a
// lifebuoy and the words MODE URGENCE. It is the same bytes every time, a
// few hundred bytes of PNG.
func buttonPNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, buttonWidth, buttonHeight))
	// The button, with a darker edge below for depth.
	roundRect(img, 4, 10, 156, 86, 16, buttonShade)
	roundRect(img, 4, 6, 156, 82, 16, buttonBlue)
	// The lifebuoy: a ring in four quarters, red and white.
	cx, cy := 36.0, 44.0
	for y := 0; y < buttonHeight; y++ {
		for x := 0; x < buttonWidth; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			r := math.Hypot(dx, dy)
			if r < 11 || r > 22 {
				continue
			}
			quarter := int(math.Floor((math.Atan2(dy, dx)+math.Pi/4)/(math.Pi/2))) & 3
			if quarter%2 == 0 {
				img.SetNRGBA(x, y, buoyRed)
			} else {
				img.SetNRGBA(x, y, buoyWhite)
			}
		}
	}
	text(img, 68, 24, "MODE")
	text(img, 68, 46, "URGENCE")

	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		panic("office: encode the button picture: " + err.Error()) // cannot fail on a bytes.Buffer
	}
	return buf.Bytes()
}

// roundRect fills the rectangle [x0,x1)×[y0,y1) with corners of radius r.
func roundRect(img *image.NRGBA, x0, y0, x1, y1, r int, c color.NRGBA) {
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			// Distance outside the inner rectangle whose rounding makes the corners.
			dx := max(x0+r-x, 0, x-(x1-1-r))
			dy := max(y0+r-y, 0, y-(y1-1-r))
			if dx*dx+dy*dy <= r*r {
				img.SetNRGBA(x, y, c)
			}
		}
	}
}

// text writes s in white at (x, y), each font pixel 2×2.
func text(img *image.NRGBA, x, y int, s string) {
	const scale, advance = 2, 6 * 2
	for _, ch := range s {
		g := glyphs[ch]
		for row, line := range g {
			for col, px := range line {
				if px != '#' {
					continue
				}
				for sy := range scale {
					for sx := range scale {
						img.SetNRGBA(x+col*scale+sx, y+row*scale+sy, buoyWhite)
					}
				}
			}
		}
		x += advance
	}
}
