package main

import (
	"bufio"
	"fmt"
	"math"
	"os"

	"k8s.io/apimachinery/pkg/api/resource"
	inf "gopkg.in/inf.v0"
)

// Reads one quantity per line; prints input, then "err", or "ok", Value and MilliValue
// ("-" where apimachinery's int64 accessor would overflow).
func main() {
	maxV := inf.NewDec(math.MaxInt64, 0)
	minV := inf.NewDec(math.MinInt64, 0)
	maxM := inf.NewDec(math.MaxInt64, 3)
	minM := inf.NewDec(math.MinInt64, 3)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		s := sc.Text()
		q, err := resource.ParseQuantity(s)
		if err != nil {
			fmt.Printf("%q\terr\n", s)
			continue
		}
		d := q.AsDec()
		v, m := "-", "-"
		// ceil may push a value just under the bound over it; exclude the boundary cases.
		if d.Cmp(maxV) < 0 && d.Cmp(minV) > 0 {
			v = fmt.Sprint(q.Value())
		}
		if d.Cmp(maxM) < 0 && d.Cmp(minM) > 0 {
			m = fmt.Sprint(q.MilliValue())
		}
		fmt.Printf("%q\tok\t%s\t%s\n", s, v, m)
	}
}
