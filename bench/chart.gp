# Draws bench/chart.svg from bench/chart.dat (written by bench/report.py). Run from the repository root.
set terminal svg size 960,440 dynamic enhanced font "sans,12" background rgb "white"
set title "s3sync vs peers on one local Ceph: wall time, median of runs (lower is better, log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [0.1:*]
set ylabel "seconds"
set grid ytics
set key outside right top vertical
set datafile missing "NaN"
plot for [i=2:7] 'bench/chart.dat' using i:xtic(1) title columnheader(i)
