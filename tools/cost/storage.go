package cost

import "fmt"

// defaultMonth is the month an estimate prices stored volume for when the usage file names
// none: a year in, when a retention of up to 11 months has filled.
const defaultMonth = 12

// retained is the average volume a store holds during month m (1 = the month of the first
// deploy) when monthGB arrive each month, evenly, and each byte is kept for keptDays (0:
// forever). Storage is billed on the average held over the month (GB-month), and the store
// fills for keptDays before deletions match arrivals, so the first months hold less than the
// steady state: month 1 holds on average half a month's volume.
func retained(monthGB, keptDays, daysPerMonth float64, m int) float64 {
	perDay := monthGB / daysPerMonth
	a, b := float64(m-1)*daysPerMonth, float64(m)*daysPerMonth
	r := keptDays
	var dayGB float64 // ∫ min(t, r) dt over [a, b]
	switch {
	case r <= 0 || b <= r:
		dayGB = (b*b - a*a) / 2
	case a >= r:
		dayGB = r * (b - a)
	default:
		dayGB = (r*r-a*a)/2 + r*(b-r)
	}
	return perDay * dayGB / daysPerMonth
}

// retainedBasis says what a storage line holds: the month, and the steady state it fills to.
func retainedBasis(what string, keptDays float64, m int) string {
	if keptDays <= 0 {
		return fmt.Sprintf("%s, kept forever: month %d holds %g months' worth on average (it keeps growing)", what, m, float64(m)-0.5)
	}
	return fmt.Sprintf("%s, kept %g days: what month %d holds on average (full from day %g; month 1 holds half a month's worth)", what, keptDays, m, keptDays)
}
