# The simulated panel shared by bench/weights.R and bench/estimate.R
# (sourced by both): n people, 3 waves, 15 baseline covariates
#   g, f2..f5     factors with 3, 4, 5, 3 and 4 levels (unequal shares)
#   x01..x10      standard normal, rounded to 6 decimals
#   y             outcome at each wave: covariates + a person effect + noise
# Everyone answers wave 1. Dropout is monotone: answering at t among those
# who answered at t - 1 depends on f2, x01, x05 and on y at t - 1 (missing
# at random given the history), about 70% stay at each wave.

simulate_panel <- function(n, seed = 20240611) {
  set.seed(seed)
  levels_k <- c(g = 3L, f2 = 4L, f3 = 5L, f4 = 3L, f5 = 4L)
  factors <- lapply(levels_k, function(k) {
    factor(sample.int(k, n, replace = TRUE, prob = seq_len(k) + 1),
           levels = seq_len(k), labels = paste0("L", seq_len(k)))
  })
  numeric_cols <- replicate(10L, round(stats::rnorm(n), 6), simplify = FALSE)
  names(numeric_cols) <- sprintf("x%02d", 1:10)
  people <- data.frame(id = seq_len(n), factors, numeric_cols)
  xmat <- as.matrix(people[names(numeric_cols)])
  signal <- 0.3 * (as.integer(people$g) - 2) +
    0.1 * (as.integer(people$f3) - 3) +
    drop(xmat %*% seq(0.3, -0.2, length.out = 10L))
  person_effect <- stats::rnorm(n)
  y <- vapply(1:3, function(t) {
    round(signal + person_effect + 0.4 * t + stats::rnorm(n), 6)
  }, numeric(n))
  answered <- matrix(TRUE, n, 3L)
  for (t in 2:3) {
    eta <- 1 + 0.25 * (as.integer(people$f2) - 2.5) - 0.3 * people$x01 +
      0.2 * people$x05 - 0.35 * y[, t - 1L]
    answered[, t] <- answered[, t - 1L] & stats::runif(n) < stats::plogis(eta)
  }
  long <- do.call(rbind, lapply(1:3, function(t) {
    k <- answered[, t]
    cbind(people[k, , drop = FALSE], wave = paste0("T", t), y = y[k, t])
  }))
  rownames(long) <- NULL
  list(long = long, covariates = c(names(levels_k), names(numeric_cols)))
}
