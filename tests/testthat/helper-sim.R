# A three-wave panel whose dropout depends on covariates and on the
# previous wave's outcome (missing at random given history).
sim_panel <- function(n = 800, seed = 11, frame_extra = 0) {
  set.seed(seed)
  m <- n + frame_extra
  g <- factor(sample(c("a", "b", "c"), m, replace = TRUE))
  age <- round(stats::runif(m, 18, 65))
  y1 <- stats::rnorm(m, 50 + 5 * (g == "b") + 0.1 * age, 10)
  y2 <- y1 + stats::rnorm(m, 2, 5)
  y3 <- y2 + stats::rnorm(m, 1, 5)
  r1 <- if (frame_extra > 0) {
    stats::runif(m) < stats::plogis(0.8 + 0.5 * (g == "a") - 0.01 * (age - 40))
  } else {
    rep(TRUE, m)
  }
  r2 <- r1 & stats::runif(m) <
    stats::plogis(0.3 - 0.02 * (age - 40) + 0.6 * (g == "c") + 0.04 * (y1 - 55))
  r3 <- r2 & stats::runif(m) < stats::plogis(0.4 + 0.05 * (y2 - 57))
  ids <- sprintf("id%04d", seq_len(m))
  long <- rbind(
    data.frame(id = ids, wave = "T1", g = g, age = age, y = y1)[r1, ],
    data.frame(id = ids, wave = "T2", g = g, age = age, y = y2)[r2, ],
    data.frame(id = ids, wave = "T3", g = g, age = age, y = y3)[r3, ]
  )
  frame <- data.frame(id = ids, g = g, age = age)
  list(long = long, frame = frame, truth = data.frame(id = ids, g, age, y1, y2, y3,
                                                       r1, r2, r3))
}

glm_prob <- function(formula, data, weights = NULL) {
  data$.w <- if (is.null(weights)) 1 else weights
  fit <- suppressWarnings(stats::glm(
    formula, family = stats::binomial(), data = data, weights = .w,
    control = stats::glm.control(epsilon = 1e-14, maxit = 100)
  ))
  stats::fitted(fit)
}

# The oracle: stack every estimating function by hand, differentiate the
# stacked sum numerically, and form A^{-1} B A^{-T}.
numeric_sandwich <- function(psi, theta, h = 1e-6) {
  a <- numeric_bread(psi, theta, h)
  ps <- psi(theta)
  n <- nrow(ps)
  b <- crossprod(sweep(ps, 2, colMeans(ps))) * n / (n - 1)
  ai <- solve(a)
  ai %*% b %*% t(ai)
}

# The derivative of the summed estimating functions by central differences.
numeric_bread <- function(psi, theta, h = 1e-6) {
  n_par <- length(theta)
  a <- matrix(0, n_par, n_par)
  for (j in seq_len(n_par)) {
    up <- theta
    dn <- theta
    up[j] <- up[j] + h
    dn[j] <- dn[j] - h
    a[, j] <- (colSums(psi(up)) - colSums(psi(dn))) / (2 * h)
  }
  a
}

# The stacked estimating functions of wave_means(estimator = "aipw") on a
# sim_panel() with logit weights on ~ g + age and history = "y": the two
# response models, the sequential regressions (T3: Q2 = E[y3 | x, y2]
# among T3 respondents, Q1 = E[Q2 | x, y1] among T2 respondents; T2:
# E[y2 | x, y1] among T2 respondents) and the three wave means. Returns
# psi(theta), theta at the package's estimates and the positions of the
# means.
aipw_stack <- function(tr, response_estimates, means) {
  x1 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y1)
  x2 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y2)
  r2 <- tr$r2
  r3 <- tr$r3
  b2 <- stats::lm.fit(x2[r3, ], tr$y3[r3])$coefficients
  b1 <- stats::lm.fit(x1[r2, ], drop(x2 %*% b2)[r2])$coefficients
  c1 <- stats::lm.fit(x1[r2, ], tr$y2[r2])$coefficients
  p <- ncol(x1)
  psi <- function(th) {
    p2 <- stats::plogis(drop(x1 %*% th[1:p]))
    p3 <- stats::plogis(drop(x2 %*% th[p + 1:p]))
    q2 <- drop(x2 %*% th[2 * p + 1:p])
    q1 <- drop(x1 %*% th[3 * p + 1:p])
    m1 <- drop(x1 %*% th[4 * p + 1:p])
    mu <- th[5 * p + 1:3]
    cbind(
      x1 * (r2 - p2), x2 * (r3 - p3) * r2,
      x2 * ifelse(r3, tr$y3 - q2, 0),
      x1 * ifelse(r2, q2 - q1, 0),
      x1 * ifelse(r2, tr$y2 - m1, 0),
      tr$y1 - mu[1],
      m1 + ifelse(r2, (tr$y2 - m1) / p2, 0) - mu[2],
      q1 + ifelse(r2, (q2 - q1) / p2, 0) +
        ifelse(r3, (tr$y3 - q2) / (p2 * p3), 0) - mu[3]
    )
  }
  list(psi = psi, theta = c(response_estimates, b2, b1, c1, means),
       k = 5 * p + 1:3)
}
