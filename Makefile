# panelattrition: set-up, checks and the demonstration.
#   make deps      install what is missing (Debian packages, then CRAN)
#   make install   build (with vignettes) and install into .lib
#   make demo      the example exports to weighted estimates, then the
#                  INCREASE VS reproduction (report/increase-vs.html) and
#                  the attrition report (report/attrition-report.html)
#   make test      R CMD build + R CMD check --as-cran; prints "N passed, N failed"
#   make document  regenerate NAMESPACE and man/ with roxygen2
#   make bench     reader benchmark against read.csv, readr and data.table

R ?= R
RSCRIPT ?= Rscript
LIB := $(CURDIR)/.lib

.PHONY: all deps install demo test document bench clean

all: test

deps:
	sh tools/deps.sh

# built first so that the installed package has its vignettes
# (vignette(package = "panelattrition"), browseVignettes())
install: deps
	mkdir -p $(LIB) build
	cd build && rm -f panelattrition_*.tar.gz && $(R) CMD build --no-manual ..
	$(R) CMD INSTALL --no-test-load --library=$(LIB) build/panelattrition_*.tar.gz

demo: install
	R_LIBS=$(LIB) $(RSCRIPT) tools/demo.R
	R_LIBS=$(LIB) $(RSCRIPT) tools/report.R
	R_LIBS=$(LIB) $(RSCRIPT) tools/attrition-report.R

test: deps
	sh tools/check.sh

document:
	$(RSCRIPT) -e 'roxygen2::roxygenise()'

bench: install
	R_LIBS=$(LIB) $(RSCRIPT) bench/read.R

clean:
	rm -rf check build report $(LIB) src/*.o src/*.so src/Makevars

# Reliability checks (see README, "Development"):
#   make fuzz           libFuzzer on the C reader kernel for FUZZ_SECONDS s
#   make fuzz-coverage  line coverage of src/read.c by the fuzz corpus
#   make sanitize       the tests against an ASan + UBSan build
#   make valgrind       the tests under valgrind memcheck
#   make gctorture      every C entry point under gctorture(TRUE)
FUZZ_SECONDS ?= 120

.PHONY: fuzz fuzz-coverage fuzz-clean sanitize valgrind gctorture

fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tools/fuzz/run.sh

fuzz-coverage:
	sh tools/fuzz/run.sh coverage

fuzz-clean:
	rm -rf tools/fuzz/build tools/fuzz/corpus tools/fuzz/corpus-parts tools/fuzz/seeds tools/fuzz/artifacts

sanitize:
	sh tools/sanitize.sh

valgrind:
	sh tools/valgrind.sh

gctorture: install
	R_LIBS=$(LIB) $(RSCRIPT) tools/gctorture.R
