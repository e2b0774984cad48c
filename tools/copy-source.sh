# Sourced by tools/sanitize.sh and tools/valgrind.sh: copy the package's
# working tree (uncommitted edits included) without build products, so that
# a special build never leaves its objects in src/.
copy_source() {
  mkdir -p "$2"
  (cd "$1" && tar -cf - --exclude=.git --exclude=./check --exclude=./.lib \
     --exclude=./bench --exclude=./tools/fuzz --exclude='src/*.o' \
     --exclude='src/*.so' --exclude=src/Makevars .) |
    (cd "$2" && tar -xf -)
}
