# A design version of numeric_sandwich() (helper-sim.R): the stacked
# estimating functions are differentiated numerically for the bread, and
# the meat is the design-based one, computed here independently of the
# package: totals of the estimating functions within PSUs, centred within
# strata, times n_h / (n_h - 1) and the finite population correction
# (1 - n_h / N_h) (`popsize`: N_h per person, or NULL).
numeric_sandwich_design <- function(psi, theta, strata, psu, popsize = NULL,
                                    h = 1e-6) {
  a <- numeric_bread(psi, theta, h)
  b <- design_meat(psi(theta), strata, psu, popsize)
  ai <- solve(a)
  ai %*% b %*% t(ai)
}

design_meat <- function(ps, strata, psu, popsize = NULL) {
  key <- paste(strata, psu)
  b <- matrix(0, ncol(ps), ncol(ps))
  for (s in unique(strata)) {
    in_s <- strata == s
    z <- rowsum(ps[in_s, , drop = FALSE], key[in_s])
    n_h <- nrow(z)
    f <- if (is.null(popsize)) 0 else n_h / popsize[in_s][1]
    zc <- sweep(z, 2, colMeans(z))
    b <- b + (1 - f) * n_h / (n_h - 1) * crossprod(zc)
  }
  b
}

# sim_panel() with households of three people as PSUs, in 5 strata whose
# population counts of households are 6 times the sampled ones.
sim_design_panel <- function(n = 600, seed = 7, frame_extra = 0) {
  s <- sim_panel(n = n, seed = seed, frame_extra = frame_extra)
  idx <- seq_len(nrow(s$truth))
  hh <- (idx - 1L) %/% 3L + 1L
  str <- hh %% 5L + 1L
  pop <- 6 * tabulate(str[!duplicated(hh)])[str]
  key <- match(s$long$id, s$truth$id)
  s$long$hh <- hh[key]
  s$long$str <- str[key]
  s$long$pop <- pop[key]
  s$frame$hh <- hh
  s$frame$str <- str
  s$frame$pop <- pop
  s$hh <- hh
  s$str <- str
  s$pop <- pop
  s
}

# Known truth for design-based variances (test-truth-design.R,
# test-bootstrap-design.R): households (PSUs) of 2-5 people in 20 strata,
# outcomes with a household effect, response depending on a household
# covariate and the previous answer (MAR). E[y3] = 55.5, E[y3 - y1] = 3.
sim_households <- function(n_hh = 6000, seed = 20261201) {
  set.seed(seed)
  size <- sample(2:5, n_hh, replace = TRUE)
  hh <- rep(seq_len(n_hh), size)
  n <- length(hh)
  stratum <- (hh - 1L) %% 20L + 1L
  urban <- rbinom(n_hh, 1, 0.5)[hh]    # household level: shared
  u <- rnorm(n_hh, 0, 6)[hh]           # household effect in the outcome
  x <- rbinom(n, 1, 0.5)
  y1 <- 50 + 3 * x + 2 * urban + u + rnorm(n, 0, 4)
  y2 <- y1 + 2 + rnorm(n, 0, 3)
  y3 <- y2 + 1 + rnorm(n, 0, 3)
  r2 <- runif(n) < plogis(0.8 + 0.4 * x - 1.2 * urban - 0.04 * (y1 - 52.5))
  r3 <- r2 & runif(n) < plogis(1.2 - 0.8 * urban + 0.05 * (y2 - 54.5))
  id <- seq_len(n)
  base <- data.frame(id = id, hh = hh, stratum = stratum, urban = urban,
                     x = x)
  long <- rbind(
    cbind(base, wave = "T1", y = y1),
    cbind(base, wave = "T2", y = y2)[r2, ],
    cbind(base, wave = "T3", y = y3)[r3, ]
  )
  # E[y1] = 50 + 3 / 2 + 2 / 2 = 52.5, E[y3] = 55.5, E[y3 - y1] = 3
  list(long = long, n = n, truth_y3 = 55.5, truth_change = 3)
}
