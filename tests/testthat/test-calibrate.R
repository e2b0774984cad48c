# calibrate_weights() against survey::calibrate(), and against the
# entropy-balancing dual solved by hand with optim().

calibrate_weights <- panelattrition:::calibrate_weights

# A sample with a four-level factor, a two-level factor and two numeric
# covariates, unequal design weights, and totals that differ from the
# design-weighted sample totals by up to 20%, so that the solution is far
# from g = 1 but (for the bounds used below) reachable. The totals stay
# within a factor of 20 of the sample totals: beyond that survey rescales
# the design weights before applying bounds.
cal_sample <- function(n = 300, seed = 20240611) {
  set.seed(seed)
  data <- data.frame(
    region = factor(sample(c("east", "north", "south", "west"), n, TRUE,
                           prob = c(0.2, 0.4, 0.3, 0.1))),
    sex = factor(sample(c("female", "male"), n, TRUE)),
    age = round(runif(n, 18, 80)),
    income = rexp(n, 1 / 3)
  )
  data$d <- runif(n, 1, 4) * ifelse(data$region == "north", 1.5, 1)
  formula <- ~ region + sex + age + income
  x <- model.matrix(formula, data)
  sample_totals <- colSums(x * data$d)
  totals <- sample_totals * c(1.05, 0.9, 1.2, 1.1, 0.95, 1.03, 1.04)
  list(data = data, formula = formula, x = x, totals = totals,
       sample_totals = sample_totals)
}

survey_weights <- function(s, calfun, bounds = c(-Inf, Inf)) {
  design <- survey::svydesign(ids = ~1, weights = ~d, data = s$data)
  cal <- survey::calibrate(design, s$formula, population = s$totals,
                           calfun = calfun, bounds = bounds,
                           epsilon = 1e-12, maxit = 200)
  unname(weights(cal))
}

tight <- list(maxit = 100, epsilon = 1e-12)

expect_totals_met <- function(fit, x, totals) {
  achieved <- colSums(x * fit$weights)
  expect_lt(max(abs(achieved - totals) / abs(totals)), 1e-9)
}

rel_diff <- function(a, b) max(abs(a / b - 1))

test_that("linear calibration reproduces survey::calibrate()", {
  skip_if_not_installed("survey")
  s <- cal_sample()
  fit <- calibrate_weights(s$x, s$data$d, s$totals, calfun = "linear",
                           control = tight)
  expect_lt(rel_diff(fit$weights, survey_weights(s, "linear")), 1e-8)
  expect_totals_met(fit, s$x, s$totals)
  expect_equal(fit$g, fit$weights / s$data$d, tolerance = 1e-14)
  # the linear case is solved in one Newton step: g = 1 + x'lambda exactly
  expect_identical(fit$iterations, 1L)
  expect_equal(fit$g, unname(drop(1 + s$x %*% fit$lambda)), tolerance = 1e-12)
  expect_true(any(fit$g < 1) && any(fit$g > 1))
  # F' = 1, so the Jacobian is X'DX
  expect_equal(fit$jacobian, crossprod(s$x * s$data$d, s$x),
               tolerance = 1e-12, ignore_attr = TRUE)
  expect_identical(names(fit$lambda), colnames(s$x))
  expect_identical(dimnames(fit$jacobian), list(colnames(s$x), colnames(s$x)))
  expect_identical(fit$calfun, "linear")
  expect_identical(fit$bounds, c(-Inf, Inf))
  expect_true(fit$converged)
})

test_that("raking reproduces survey::calibrate()", {
  skip_if_not_installed("survey")
  s <- cal_sample()
  fit <- calibrate_weights(s$x, s$data$d, s$totals, calfun = "raking",
                           control = tight)
  expect_lt(rel_diff(fit$weights, survey_weights(s, "raking")), 1e-8)
  expect_totals_met(fit, s$x, s$totals)
  expect_equal(log(fit$g), unname(drop(s$x %*% fit$lambda)), tolerance = 1e-12)
  # F' = F, so the Jacobian is X' diag(w) X
  expect_equal(fit$jacobian, crossprod(s$x * fit$weights, s$x),
               tolerance = 1e-12, ignore_attr = TRUE)
  expect_gt(fit$iterations, 1L)
})

test_that("logit calibration reproduces survey::calibrate() and its bounds", {
  skip_if_not_installed("survey")
  s <- cal_sample()
  bounds <- c(0.6, 1.6)
  fit <- calibrate_weights(s$x, s$data$d, s$totals, calfun = "logit",
                           bounds = bounds, control = tight)
  expect_lt(rel_diff(fit$weights, survey_weights(s, "logit", bounds)), 1e-8)
  expect_totals_met(fit, s$x, s$totals)
  expect_true(all(fit$g > 0.6 & fit$g < 1.6))
  # the bounds shape the solution: raking to the same totals differs
  raked <- calibrate_weights(s$x, s$data$d, s$totals, control = tight)
  expect_gt(rel_diff(raked$weights, fit$weights), 1e-3)
  # Deville & Sarndal's logit function, written out by hand:
  # g = (L (U - 1) + U (1 - L) e^{Au}) / (U - 1 + (1 - L) e^{Au})
  L <- bounds[1]
  U <- bounds[2]
  A <- (U - L) / ((U - 1) * (1 - L))
  u <- unname(drop(s$x %*% fit$lambda))
  e <- exp(A * u)
  expect_equal(fit$g, (L * (U - 1) + U * (1 - L) * e) / (U - 1 + (1 - L) * e),
               tolerance = 1e-12)
  dg <- A * (U - L) * (1 - L) * (U - 1) * e / (U - 1 + (1 - L) * e)^2
  expect_equal(fit$jacobian, crossprod(s$x * (s$data$d * dg), s$x),
               tolerance = 1e-10, ignore_attr = TRUE)
})

test_that("bounded linear and raking calibration truncate as survey does", {
  skip_if_not_installed("survey")
  s <- cal_sample()
  bounds <- c(0.75, 1.4)
  for (calfun in c("linear", "raking")) {
    fit <- calibrate_weights(s$x, s$data$d, s$totals, calfun = calfun,
                             bounds = bounds, control = tight)
    expect_lt(rel_diff(fit$weights, survey_weights(s, calfun, bounds)), 1e-8)
    expect_totals_met(fit, s$x, s$totals)
    expect_true(all(fit$g >= 0.75 & fit$g <= 1.4))
    # units are held at both bounds (this is what distinguishes the case)
    expect_true(any(fit$g == 0.75) && any(fit$g == 1.4))
  }
})

test_that("named totals are matched to the columns, in any order", {
  skip_if_not_installed("survey")
  s <- cal_sample()
  shuffled <- rev(s$totals)
  a <- calibrate_weights(s$x, s$data$d, s$totals)
  b <- calibrate_weights(s$x, s$data$d, shuffled)
  c <- calibrate_weights(s$x, s$data$d, unname(s$totals))
  expect_identical(a$weights, b$weights)
  expect_identical(a$weights, c$weights)
  expect_identical(names(b$lambda), colnames(s$x))

  err <- expect_error(
    calibrate_weights(s$x, s$data$d, s$totals[-3]),
    class = "panelattrition_arg_error"
  )
  expect_match(conditionMessage(err), "no total for `regionsouth`", fixed = TRUE)
  expect_identical(err$margin, "regionsouth")
  err <- expect_error(
    calibrate_weights(s$x, s$data$d, c(s$totals, regionmars = 3)),
    class = "panelattrition_arg_error"
  )
  expect_match(conditionMessage(err), "`regionmars` is not a column of `x`",
               fixed = TRUE)
  expect_error(calibrate_weights(s$x, s$data$d, unname(s$totals)[-1]),
               "`totals` must be a vector of 7 totals", fixed = TRUE)
})

test_that("a category absent from the sample with total zero is left out, as survey does", {
  skip_if_not_installed("survey")
  s <- cal_sample()
  s$data$region <- factor(s$data$region,
                          levels = c(levels(s$data$region), "islands"))
  s$x <- model.matrix(s$formula, s$data)
  s$totals <- c(s$totals, regionislands = 0)[colnames(s$x)]
  for (calfun in c("linear", "raking")) {
    fit <- calibrate_weights(s$x, s$data$d, s$totals, calfun = calfun,
                             control = tight)
    expect_lt(rel_diff(fit$weights, survey_weights(s, calfun)), 1e-8)
    expect_identical(fit$lambda[["regionislands"]], 0)
  }
})

test_that("raking with equal design weights is entropy balancing", {
  s <- cal_sample()
  z <- s$x[, -1]
  n <- nrow(z)
  # target means, away from the sample's
  means <- c(regionnorth = 0.35, regionsouth = 0.3, regionwest = 0.15,
             sexmale = 0.45, age = mean(z[, "age"]) + 3,
             income = 1.1 * mean(z[, "income"]))
  expect_gt(max(abs(means / colMeans(z) - 1)), 0.05)
  totals <- c("(Intercept)" = n, means * n)
  fit <- calibrate_weights(s$x, rep(1, n), totals, control = tight)
  expect_totals_met(fit, s$x, totals)
  # the weights are proportional to exp(z'gamma) (Hainmueller 2012, eq. 3)
  gamma <- fit$lambda[-1]
  expect_equal(fit$weights / exp(unname(drop(z %*% gamma))),
               rep(exp(fit$lambda[[1]]), n), tolerance = 1e-10)

  # gamma minimises the dual log(sum_i exp((z_i - m)'gamma)) (Hainmueller
  # 2012, eq. 6): solved here by BFGS, independently of the C code
  zc <- sweep(z, 2, means)
  dual <- function(g) {
    v <- drop(zc %*% g)
    m <- max(v)
    m + log(sum(exp(v - m)))
  }
  grad <- function(g) {
    v <- drop(zc %*% g)
    p <- exp(v - max(v))
    colSums(zc * p) / sum(p)
  }
  opt <- optim(rep(0, ncol(z)), dual, grad, method = "BFGS",
               control = list(reltol = 1e-16, maxit = 1000))
  expect_equal(unname(gamma), opt$par, tolerance = 1e-5)
  expect_lt(max(abs(grad(gamma))), 1e-10)
  expect_lte(dual(gamma), opt$value + 1e-12)
  # a move in any direction raises the dual: the Jacobian is positive
  # definite there, and numerically the curvature matches
  h <- 1e-4
  for (j in seq_len(ncol(z))) {
    e <- replace(numeric(ncol(z)), j, h)
    expect_gt(dual(gamma + e), dual(gamma))
    expect_gt(dual(gamma - e), dual(gamma))
  }
  w_norm <- fit$weights / n
  expect_equal(sum(w_norm), 1, tolerance = 1e-12)
})

test_that("an empty category is named", {
  s <- cal_sample()
  x <- cbind(s$x, regionislands = 0)
  totals <- c(s$totals, regionislands = 12)
  err <- expect_error(
    calibrate_weights(x, s$data$d, totals, stage = "wave 2"),
    class = "panelattrition_calibration_error"
  )
  expect_identical(err$reason, "empty")
  expect_identical(err$margin, "regionislands")
  expect_identical(err$stage, "wave 2")
  expect_match(conditionMessage(err),
               "`regionislands` is zero for every unit but its total is 12",
               fixed = TRUE)
  expect_match(conditionMessage(err), "merge the empty category", fixed = TRUE)
  expect_match(conditionMessage(err), "at stage wave 2", fixed = TRUE)
})

test_that("collinear margins are named", {
  s <- cal_sample()
  # every level of region alongside the intercept
  x <- cbind(s$x, regioneast = as.numeric(s$data$region == "east"))
  totals <- c(s$totals, regioneast = 100)
  err <- expect_error(
    calibrate_weights(x, s$data$d, totals),
    class = "panelattrition_calibration_error"
  )
  expect_identical(err$reason, "collinear")
  expect_setequal(err$margin, c("regioneast", "(Intercept)", "regionnorth",
                                "regionsouth", "regionwest"))
  expect_match(
    conditionMessage(err),
    paste("`regioneast` is a linear combination of `(Intercept)`,",
          "`regionnorth`, `regionsouth` and `regionwest`"),
    fixed = TRUE
  )
  # a rescaled copy of a numeric margin
  x <- cbind(s$x, age_months = 12 * s$x[, "age"])
  err <- expect_error(
    calibrate_weights(x, s$data$d, c(s$totals, age_months = 1), "linear"),
    class = "panelattrition_calibration_error"
  )
  expect_identical(err$margin, c("age_months", "age"))
  expect_match(conditionMessage(err),
               "`age_months` is a linear combination of `age`", fixed = TRUE)
})

test_that("bounds too tight for the totals are infeasible, naming the margin", {
  s <- cal_sample()
  # one margin alone out of reach: the intercept needs g above 1.1 on average
  totals <- s$totals
  totals[["(Intercept)"]] <- 1.2 * s$sample_totals[["(Intercept)"]]
  err <- expect_error(
    calibrate_weights(s$x, s$data$d, totals, "logit", bounds = c(0.9, 1.1)),
    class = "panelattrition_calibration_error"
  )
  expect_identical(err$reason, "infeasible")
  expect_identical(err$margin, "(Intercept)")
  expect_match(conditionMessage(err),
               "but weights with w/d in (0.9, 1.1) can only give it a total",
               fixed = TRUE)
  expect_match(conditionMessage(err), "widen `bounds`", fixed = TRUE)

  # every margin reachable on its own, but not all together: found by the
  # iteration, which names the margin left furthest from its total
  bounds <- c(0.8, 1.25)
  for (calfun in c("logit", "linear", "raking")) {
    err <- expect_error(
      calibrate_weights(s$x, s$data$d, s$totals, calfun, bounds = bounds),
      class = "panelattrition_calibration_error"
    )
    expect_identical(err$reason, "infeasible")
    expect_length(err$margin, 1L)
    expect_match(conditionMessage(err),
                 sprintf("`%s` is furthest from its total", err$margin),
                 fixed = TRUE)
  }
  # a box-constrained least-squares fit by L-BFGS-B confirms that these
  # bounds cannot reach the totals
  sc <- 1 / s$totals
  d <- s$data$d
  misfit <- function(g) (colSums(s$x * (d * g)) - s$totals) * sc
  opt <- optim(rep(1, nrow(s$x)), function(g) sum(misfit(g)^2),
               function(g) drop(2 * d * (s$x %*% (misfit(g) * sc))),
               method = "L-BFGS-B", lower = bounds[1], upper = bounds[2],
               control = list(maxit = 5000, factr = 1, pgtol = 0))
  expect_gt(max(abs(misfit(opt$par))), 1e-5)
})

test_that("raking to a negative total, or past the data, is infeasible", {
  s <- cal_sample()
  totals <- s$totals
  totals[["income"]] <- -50
  err <- expect_error(
    calibrate_weights(s$x, s$data$d, totals, "raking"),
    class = "panelattrition_calibration_error"
  )
  expect_identical(err$reason, "infeasible")
  expect_identical(err$margin, "income")
  expect_match(conditionMessage(err),
               "`income` has total -50, but weights with w/d in (0, Inf) can only give it a total in (0, Inf)",
               fixed = TRUE)
  # linear calibration reaches it, with negative weights
  fit <- calibrate_weights(s$x, s$data$d, totals, "linear", control = tight)
  expect_totals_met(fit, s$x, totals)
  expect_true(any(fit$weights < 0))

  # a mean age above the oldest respondent's
  totals <- s$totals
  totals[["age"]] <- 85 * totals[["(Intercept)"]]
  err <- expect_error(
    calibrate_weights(s$x, s$data$d, totals, "raking"),
    class = "panelattrition_calibration_error"
  )
  expect_identical(err$reason, "infeasible")
  expect_match(conditionMessage(err), "is furthest from its total",
               fixed = TRUE)
})

test_that("running out of iterations is reported as such", {
  s <- cal_sample()
  err <- expect_error(
    calibrate_weights(s$x, s$data$d, s$totals, "raking",
                      control = list(maxit = 1)),
    class = "panelattrition_calibration_error"
  )
  expect_identical(err$reason, "not_converged")
  expect_length(err$margin, 1L)
  expect_match(conditionMessage(err), "did not converge in 1 iterations",
               fixed = TRUE)
  expect_match(conditionMessage(err), "Increase `control$maxit`", fixed = TRUE)
  # with enough iterations the same problem converges
  fit <- calibrate_weights(s$x, s$data$d, s$totals, "raking",
                           control = list(maxit = 50))
  expect_true(fit$converged)
  expect_lte(fit$iterations, 50L)
})

test_that("arguments are checked", {
  s <- cal_sample()
  d <- s$data$d
  expect_error(calibrate_weights(s$x, replace(d, 5, 0), s$totals),
               "`d` must be positive and finite, but 1 weight is not (the first is element 5, 0)",
               fixed = TRUE, class = "panelattrition_arg_error")
  expect_error(calibrate_weights(s$x, d[-1], s$totals),
               class = "panelattrition_arg_error")
  expect_error(calibrate_weights(s$x, d, s$totals, "logit"),
               "`bounds` must be given", class = "panelattrition_arg_error")
  expect_error(calibrate_weights(s$x, d, s$totals, "logit", bounds = c(0.5, Inf)),
               "must be finite", class = "panelattrition_arg_error")
  expect_error(calibrate_weights(s$x, d, s$totals, bounds = c(1.2, 3)),
               "lower < 1 < upper", class = "panelattrition_arg_error")
  expect_error(calibrate_weights(s$x, d, s$totals, calfun = "probit"),
               "`calfun` must be one of", class = "panelattrition_arg_error")
  expect_error(calibrate_weights(s$x, d, s$totals, control = list(maxit = -1)),
               "`control$maxit` must be", fixed = TRUE,
               class = "panelattrition_arg_error")
  x <- s$x
  x[3, "age"] <- NA
  expect_error(calibrate_weights(x, d, s$totals),
               "row 3 of column `age` is NA", fixed = TRUE,
               class = "panelattrition_arg_error")
})
