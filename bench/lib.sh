# lib.sh - what the bench scripts share (sourced by run.sh and pg.sh).

# The fastest of five GETs of a URL, in ms.
best() {
  local b=999999 t
  for _ in 1 2 3 4 5; do
    t=$(curl -s -o /dev/null -w '%{time_total}' "$1")
    b=$(awk -v a="$b" -v t="$t" 'BEGIN { t *= 1000; print (t < a ? t : a) }')
  done
  echo "$b"
}
