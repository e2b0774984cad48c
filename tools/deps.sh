#!/bin/sh
# Install what building, checking and testing panelattrition needs, and
# nothing that is already there. Debian packages first (libcsv, pandoc,
# qpdf and devscripts' checkbashisms for R CMD check --as-cran, and the
# prebuilt r-cran-* builds); CRAN, through R's configured repository,
# for any R package still missing afterwards.
set -eu

DEB_PKGS="libcsv-dev pandoc qpdf devscripts r-cran-knitr r-cran-rmarkdown r-cran-roxygen2 \
r-cran-testthat r-cran-survey r-cran-geepack r-cran-brglm2 r-cran-psych \
r-cran-hsaur3 r-cran-data.table r-cran-readr r-cran-generics r-cran-future.apply \
r-cran-dplyr r-cran-ggplot2 r-cran-cli"
R_PKGS="knitr rmarkdown roxygen2 testthat survey geepack brglm2 psych HSAUR3 \
data.table readr generics future future.apply dplyr ggplot2 cli modelsummary"

missing=""
for p in $DEB_PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    echo "make deps: installing Debian packages:$missing"
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      --no-install-recommends $missing
  else
    echo "make deps: not a Debian system; install libcsv and pandoc by hand" >&2
  fi
fi

# whether a package is there is asked without loading it (a namespace
# loaded in this session would stay loaded in its old version while a
# newer one is installed as a dependency); loading is checked afterwards
# in a fresh session
R_PKGS="$R_PKGS" Rscript -e '
need <- strsplit(Sys.getenv("R_PKGS"), "[[:space:]]+")[[1]]
need <- need[nzchar(need)]
have <- vapply(need, function(p) length(find.package(p, quiet = TRUE)) > 0,
               logical(1))
if (any(!have)) {
  message("make deps: installing from CRAN: ", paste(need[!have], collapse = " "))
  install.packages(need[!have], quiet = TRUE)
}'
R_PKGS="$R_PKGS" Rscript -e '
need <- strsplit(Sys.getenv("R_PKGS"), "[[:space:]]+")[[1]]
need <- need[nzchar(need)]
ok <- vapply(need, requireNamespace, logical(1), quietly = TRUE)
if (!all(ok)) stop("could not install or load: ", paste(need[!ok], collapse = " "))'
echo "make deps: everything is installed"
