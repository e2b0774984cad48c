# Coverage of design-based and person-level 95% intervals for an
# attrition-weighted mean when outcomes and response are correlated within
# households (the simulation of tests/testthat/test-truth-design.R, with
# 3,000 households of 2-5 people in 20 strata per replication).
#
# Run from the package root with the package installed:
#   nice -n 19 Rscript inst/validation/design-coverage.R [replications]
# It writes inst/validation/design-coverage.csv (one row per replication).
library(panelattrition)

sim_households <- function(n_hh, seed) {
  set.seed(seed)
  size <- sample(2:5, n_hh, replace = TRUE)
  hh <- rep(seq_len(n_hh), size)
  n <- length(hh)
  urban <- rbinom(n_hh, 1, 0.5)[hh]
  u <- rnorm(n_hh, 0, 6)[hh]
  x <- rbinom(n, 1, 0.5)
  y1 <- 50 + 3 * x + 2 * urban + u + rnorm(n, 0, 4)
  y2 <- y1 + 2 + rnorm(n, 0, 3)
  y3 <- y2 + 1 + rnorm(n, 0, 3)
  r2 <- runif(n) < plogis(0.8 + 0.4 * x - 1.2 * urban - 0.04 * (y1 - 52.5))
  r3 <- r2 & runif(n) < plogis(1.2 - 0.8 * urban + 0.05 * (y2 - 54.5))
  base <- data.frame(id = seq_len(n), hh = hh,
                     stratum = (hh - 1L) %% 20L + 1L, urban = urban, x = x)
  rbind(cbind(base, wave = "T1", y = y1),
        cbind(base, wave = "T2", y = y2)[r2, ],
        cbind(base, wave = "T3", y = y3)[r3, ])
}

one <- function(b, n_hh = 3000, truth = 55.5) {
  long <- sim_households(n_hh, 1000 + b)
  fit <- function(...) {
    pan <- panel_data(long, id = "id", wave = "wave",
                      baseline = c("x", "urban"), ...)
    w <- attrition_weights(pan, ~ x + urban, history = "y")
    m <- wave_means(w, "y")
    c(m$estimate[3], m$std_error[3])
  }
  d <- fit(strata = "stratum", cluster = "hh")
  p <- fit()
  data.frame(replication = b, estimate = d[1], se_design = d[2],
             se_person = p[2],
             covered_design = abs(d[1] - truth) < 1.959964 * d[2],
             covered_person = abs(d[1] - truth) < 1.959964 * p[2])
}

args <- commandArgs(trailingOnly = TRUE)
reps <- if (length(args)) as.integer(args[1]) else 200L
out <- do.call(rbind, lapply(seq_len(reps), one))
utils::write.csv(out, "inst/validation/design-coverage.csv", row.names = FALSE)
cat(sprintf("%d replications: coverage design %.3f, person-level %.3f; mean SE ratio %.2f; empirical SD %.4f, mean design SE %.4f\n",
            reps, mean(out$covered_design), mean(out$covered_person),
            mean(out$se_design / out$se_person), stats::sd(out$estimate),
            mean(out$se_design)))
