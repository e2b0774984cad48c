# panelattrition: set-up, checks and the demonstration.
#   make deps      install what is missing (Debian packages, then CRAN)
#   make demo      read the example exports, build the panel, print it
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

install: deps
	mkdir -p $(LIB)
	$(R) CMD INSTALL --no-test-load --library=$(LIB) .

demo: install
	R_LIBS=$(LIB) $(RSCRIPT) tools/demo.R

test: deps
	sh tools/check.sh

document:
	$(RSCRIPT) -e 'roxygen2::roxygenise()'

bench: install
	R_LIBS=$(LIB) $(RSCRIPT) bench/read.R

clean:
	rm -rf check $(LIB) src/*.o src/*.so src/Makevars
