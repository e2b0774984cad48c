# The last steps of estimate_influence() in the kernel (influence_total in
# src/r_estimate.c): the stages' score updates, the division by a diagonal
# D and the solve against a full D, against the R formulas they replace;
# then known truth through them at scale (IPW with history: wave means and
# an independence GEE, sandwich SEs).

test_that("influence totals equal the R formulas, bit for bit", {
  set.seed(18)
  n <- 5000
  q <- 4L
  phi <- matrix(rnorm(n * q), n, q, dimnames = list(NULL, letters[1:q]))
  phi[c(7, 300)] <- c(NA, Inf)
  # a response model's update r * (X m) on its people at risk, in columns
  # 2 and 4; then a dense update on other people, in columns 1 and 2
  risk <- sort(sample.int(n, 3100))
  x <- cbind(1, rnorm(3100), rbinom(3100, 1, 0.4))
  r <- runif(3100) - 0.5
  m <- matrix(rnorm(6), 3L, 2L)
  risk2 <- sort(sample.int(n, 4200))
  u <- matrix(rnorm(8400), 4200L, 2L)
  ups <- list(list(risk = risk, cols = c(2L, 4L), r = r, x = x, m = m),
              list(risk = risk2, cols = 1:2, u = u))
  total <- phi
  total[risk, c(2L, 4L)] <- total[risk, c(2L, 4L)] +
    r * panelattrition:::x_b(x, m)
  total[risk2, 1:2] <- total[risk2, 1:2] + u
  kernel <- function(scale) {
    .Call(panelattrition:::C_influence_total, phi, ups, scale)
  }
  expect_identical(kernel(NULL), total)
  d <- c(2.5, 0.75, 3, 1.25)
  expect_identical(kernel(d), total / rep(d, each = n))
  dmu <- matrix(rnorm(q * q), q, q) + diag(3, q)
  expect_identical(unname(kernel(dmu)), -t(solve(dmu, t(total))))
  # phi is left as it was
  expect_identical(phi[c(7, 300)], c(NA, Inf))
  # estimate_influence() without stages: the diagonal and the full D
  w0 <- list(stages = list(), numerator_stages = list())
  est <- panelattrition:::estimate_influence(w0, phi, dmu, list(),
                                             sandwich = FALSE)
  expect_identical(est, -t(solve(dmu, t(phi))))
  expect_error(panelattrition:::estimate_influence(w0, phi, matrix(1, q, q),
                                                   list(), sandwich = FALSE),
               "singular")
})

test_that("wave means and an independence GEE cover the truth at n = 30,000 (IPW with history)", {
  set.seed(20261202)
  n <- 30000
  g <- factor(sample(c("a", "b", "c"), n, TRUE, prob = c(0.5, 0.3, 0.2)))
  x1 <- rnorm(n)
  person <- rnorm(n)
  y <- sapply(1:3, function(t) {
    0.3 * as.integer(g) + 0.2 * x1 + person + 0.4 * t + rnorm(n)
  })
  answered <- matrix(TRUE, n, 3L)
  for (t in 2:3) {
    eta <- 1 + 0.3 * x1 - 0.5 * y[, t - 1L]
    answered[, t] <- answered[, t - 1L] & runif(n) < plogis(eta)
  }
  long <- do.call(rbind, lapply(1:3, function(t) {
    k <- answered[, t]
    data.frame(id = which(k), g = g[k], x1 = x1[k], wave = paste0("T", t),
               y = y[k, t])
  }))
  panel <- panel_data(long, id = "id", wave = "wave",
                      baseline = c("g", "x1"))
  w <- attrition_weights(panel, ~ g + x1, history = "y", stabilize = FALSE)
  # truth: the population's (everyone's) means by wave and group
  m <- wave_means(w, "y", by = "g")
  truth <- vapply(seq_len(nrow(m)), function(k) {
    t <- match(as.character(m$wave[k]), c("T1", "T2", "T3"))
    mean(y[g == m$g[k], t])
  }, numeric(1))
  z <- (m$estimate - truth) / m$std_error
  expect_true(all(abs(z) < 4))
  # the complete cases are biased at wave 3 (dropout depends on y)
  cc <- vapply(c("a", "b", "c"), function(h) {
    mean(y[g == h & answered[, 3L], 3L])
  }, numeric(1))
  expect_true(all(abs(cc - truth[m$wave == "T3"]) >
                    5 * m$std_error[m$wave == "T3"]))
  # the GEE of y on wave: the population's least-squares coefficients
  fit <- ipw_gee(y ~ wave, w)
  full <- data.frame(y = as.vector(y),
                     wave = factor(rep(c("T1", "T2", "T3"), each = n)))
  beta <- stats::coef(stats::lm(y ~ wave, data = full))
  est <- stats::coef(fit)
  se <- sqrt(diag(stats::vcov(fit)))
  expect_true(all(abs(est - beta) < 4 * se))
})
