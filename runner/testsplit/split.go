package testsplit

import (
	"fmt"
	"math"
	"os"
	"sort"
)

// Bins distributes items over total nodes and returns each node's items in
// their input order. weights holds one weight per item (nil weighs every
// item 1); negative or non-finite weights count as 0.
//
// The packing is greedy and deterministic: items are taken by weight,
// heaviest first (ties by item text, then input position), and each goes to
// the node with the least weight so far, ties going to the node with fewer
// items, then to the lowest index. Counting items in the tie-break keeps
// zero-weight items (tests that reported 0s) spread evenly instead of piling
// onto node 0. Every item lands on exactly one node.
func Bins(items []string, weights []float64, total int) ([][]string, error) {
	if total < 1 {
		return nil, fmt.Errorf("total must be at least 1, got %d", total)
	}
	if weights != nil && len(weights) != len(items) {
		return nil, fmt.Errorf("got %d weights for %d items", len(weights), len(items))
	}
	w := make([]float64, len(items))
	for i := range w {
		w[i] = 1
		if weights != nil {
			w[i] = sane(weights[i])
		}
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ia, ib := order[a], order[b]
		if w[ia] != w[ib] {
			return w[ia] > w[ib]
		}
		return items[ia] < items[ib]
	})
	load := make([]float64, total)
	count := make([]int, total)
	node := make([]int, len(items))
	for _, i := range order {
		best := 0
		for b := 1; b < total; b++ {
			if load[b] < load[best] || load[b] == load[best] && count[b] < count[best] {
				best = b
			}
		}
		node[i] = best
		load[best] += w[i]
		count[best]++
	}
	bins := make([][]string, total)
	for i, item := range items {
		bins[node[i]] = append(bins[node[i]], item)
	}
	return bins, nil
}

// Split returns the items of node index out of total (see Bins), in their
// input order. index must satisfy 0 <= index < total.
func Split(items []string, weights []float64, index, total int) ([]string, error) {
	if err := checkNode(index, total); err != nil {
		return nil, err
	}
	bins, err := Bins(items, weights, total)
	if err != nil {
		return nil, err
	}
	return bins[index], nil
}

func checkNode(index, total int) error {
	if total < 1 {
		return fmt.Errorf("total must be at least 1, got %d", total)
	}
	if index < 0 || index >= total {
		return fmt.Errorf("index %d is out of range for total %d (want 0 to %d)", index, total, total-1)
	}
	return nil
}

func sane(w float64) float64 {
	if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
		return 0
	}
	return w
}

// FilesizeWeights weighs each item by the size of the file it names,
// relative to the working directory. Items that are not regular files get
// the average size of those that are; when none is, every item weighs 1,
// which splits by name.
func FilesizeWeights(items []string) []float64 {
	weights := make([]float64, len(items))
	known := make([]bool, len(items))
	for i, item := range items {
		if info, err := os.Stat(item); err == nil && info.Mode().IsRegular() {
			weights[i], known[i] = float64(info.Size()), true
		}
	}
	if fillUnknown(weights, known) == 0 {
		for i := range weights {
			weights[i] = 1
		}
	}
	return weights
}

// fillUnknown gives every unknown weight the average of the known ones and
// returns how many were known.
func fillUnknown(weights []float64, known []bool) int {
	n, sum := 0, 0.0
	for i, k := range known {
		if k {
			weights[i] = sane(weights[i])
			n++
			sum += weights[i]
		}
	}
	if n == 0 {
		return 0
	}
	avg := sum / float64(n)
	for i, k := range known {
		if !k {
			weights[i] = avg
		}
	}
	return n
}
