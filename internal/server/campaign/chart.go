package campaign

import (
	"math"

	"relais/internal/server/db"
)

// The chart's geometry, in SVG user units (it scales to its box).
const (
	chartW, chartH    = 760, 300
	padLeft, padRight = 56, 16
	padTop, padBottom = 40, 60
	plotW             = chartW - padLeft - padRight
	plotH             = chartH - padTop - padBottom
	maxXLabels        = 7
)

// chart is the inline SVG of the distribution of the time to operational,
// with its words and its numbers as a table.
type chart struct {
	W, H                int
	Title, Desc         string
	Bars                []bar
	Rows                []bucketRow // the table's
	Left, Bottom, Right int         // the axes
	YMax                string      // the tallest bar's count
	YMaxY               int
	XTitle, YTitle      string
	XTitleX, XTitleY    int
	RTO                 bool
	RTOX                float64
	RTOLabel            string
	RTOLabelX           float64
	RTOAnchor           string
	Empty               bool
}

type bar struct {
	X, Y, W, H     float64
	Class          string // in (within the RTO), across, out (beyond), plain (no RTO)
	Count          string
	CountX, CountY float64
	Label          string // the x axis' label at its left edge, or "" (too crowded)
	LabelX         float64
	LabelY         int
}

type bucketRow struct {
	Range, Count, Share string
}

func f1(x float64) float64 { return math.Round(x*10) / 10 }

func newChart(v view, c *db.Campaign) chart {
	d := c.Distribution
	ch := chart{W: chartW, H: chartH, Left: padLeft, Bottom: padTop + plotH, Right: padLeft + plotW,
		Title: v.T("campaign.chart.title"), XTitle: v.T("campaign.chart.x"), YTitle: v.T("campaign.chart.y"),
		XTitleX: padLeft + plotW/2, XTitleY: chartH - 8}
	if d.Count == 0 || len(d.Buckets) == 0 {
		ch.Empty = true
		ch.Desc = v.T("campaign.chart.empty")
		return ch
	}
	within := v.T("campaign.chart.desc_no_rto")
	if c.RTOMS > 0 {
		within = v.T("campaign.chart.desc_rto", v.Dur(c.RTOMS), v.Num(c.WithinRTO), v.Pct(c.WithinRTO, d.Count))
	}
	ch.Desc = v.T("campaign.chart.desc", v.Plural("campaign.operational_n", d.Count), v.Dur(d.MedianMS), v.Dur(d.P90MS),
		within)
	var most int64 = 1
	for _, b := range d.Buckets {
		most = max(most, b.Count)
	}
	ch.YMax, ch.YMaxY = v.Num(most), padTop
	n := len(d.Buckets)
	bw := float64(plotW) / float64(n)
	every := (n + maxXLabels - 1) / maxXLabels
	for i, b := range d.Buckets {
		h := float64(b.Count) / float64(most) * plotH
		x := padLeft + float64(i)*bw
		br := bar{X: f1(x + 2), W: f1(bw - 4), H: f1(h), Y: f1(padTop + plotH - h), Class: "plain",
			CountX: f1(x + bw/2), CountY: f1(padTop + plotH - h - 4), LabelX: f1(x), LabelY: padTop + plotH + 16}
		if b.Count > 0 {
			br.Count = v.Num(b.Count)
		}
		if c.RTOMS > 0 {
			switch {
			case !b.Open && b.ToMS <= c.RTOMS:
				br.Class = "in"
			case b.FromMS >= c.RTOMS:
				br.Class = "out"
			default:
				br.Class = "across"
			}
		}
		rng := v.T("campaign.chart.range", v.Dur(b.FromMS), v.Dur(b.ToMS))
		if b.Open {
			rng = v.T("campaign.chart.range_open", v.Dur(b.FromMS))
			br.Label, br.LabelX = rng, f1(x+bw/2)
		} else if i%every == 0 {
			br.Label = v.Dur(b.FromMS)
		}
		ch.Bars = append(ch.Bars, br)
		ch.Rows = append(ch.Rows, bucketRow{Range: rng, Count: v.Num(b.Count), Share: v.Pct(b.Count, d.Count)})
	}
	closed := int64(n)
	if d.Buckets[n-1].Open {
		closed--
	}
	if c.RTOMS > 0 && d.WidthMS > 0 && c.RTOMS <= closed*d.WidthMS {
		ch.RTO = true
		ch.RTOX = f1(padLeft + float64(c.RTOMS)/float64(d.WidthMS)*bw)
		ch.RTOLabel = v.T("campaign.chart.rto", v.Dur(c.RTOMS))
		ch.RTOLabelX, ch.RTOAnchor = ch.RTOX+4, "start"
		if ch.RTOX > padLeft+plotW*0.7 {
			ch.RTOLabelX, ch.RTOAnchor = ch.RTOX-4, "end"
		}
	}
	return ch
}
