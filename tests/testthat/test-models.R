# fit_logit() against glm() (maximum likelihood), brglm2 (Firth), and
# values computed by hand from the definitions.

fit_logit <- panelattrition:::fit_logit

glm_tight <- function(formula, data, weights = NULL, offset = NULL) {
  data$.w <- if (is.null(weights)) rep(1, nrow(data)) else weights
  data$.off <- if (is.null(offset)) rep(0, nrow(data)) else offset
  # non-integer prior weights make glm() warn about "#successes"
  suppressWarnings(stats::glm(
    formula, family = stats::binomial(), data = data, weights = .w,
    offset = .off, control = stats::glm.control(epsilon = 1e-14, maxit = 100)
  ))
}

brglm_jeffreys <- function(formula, data, weights = NULL) {
  data$.w <- if (is.null(weights)) rep(1, nrow(data)) else weights
  suppressWarnings(stats::glm(
    formula, family = stats::binomial(), data = data, weights = .w,
    method = brglm2::brglmFit, type = "MPL_Jeffreys",
    epsilon = 1e-13, maxit = 1000
  ))
}

# U' I^{-1} U: the score statistic, zero at the solution of U = 0
score_statistic <- function(fit) {
  u <- colSums(fit$scores)
  drop(crossprod(u, solve(fit$information, u)))
}

expect_matches_glm <- function(fit, g) {
  expect_equal(fit$coefficients, stats::coef(g), tolerance = 1e-8)
  expect_equal(fit$std_error, summary(g)$coefficients[, 2], tolerance = 1e-8)
  expect_equal(fit$vcov, summary(g)$cov.unscaled, tolerance = 1e-8)
  expect_equal(fit$fitted, unname(stats::fitted(g)), tolerance = 1e-8)
  expect_equal(fit$linear_predictor, unname(g$linear.predictors),
               tolerance = 1e-8)
  expect_equal(fit$deviance, stats::deviance(g), tolerance = 1e-8)
  expect_true(fit$converged)
}

make_data <- function(n, seed) {
  set.seed(seed)
  d <- data.frame(
    age = round(stats::runif(n, 18, 70)),
    income = stats::rlnorm(n, 0, 0.5),
    group = factor(sample(c("A", "B", "C", "D"), n, replace = TRUE)),
    female = stats::rbinom(n, 1, 0.5)
  )
  eta <- -1 + 0.03 * (d$age - 40) + 0.4 * d$income +
    c(A = 0, B = 0.5, C = -0.4, D = 0.2)[as.character(d$group)] -
    0.3 * d$female
  d$answered <- stats::rbinom(n, 1, stats::plogis(eta))
  d
}

test_that("ML fit equals glm() on a numeric design", {
  d <- make_data(400, 1)
  x <- stats::model.matrix(~ age + income + female, d)
  fit <- fit_logit(x, d$answered)
  g <- glm_tight(answered ~ age + income + female, d)
  expect_matches_glm(fit, g)
  expect_identical(fit$method, "logit")
  expect_identical(names(fit$coefficients), colnames(x))
  expect_identical(dimnames(fit$vcov), list(colnames(x), colnames(x)))
})

test_that("ML fit equals glm() with non-integer prior weights, some zero", {
  d <- make_data(500, 2)
  set.seed(20)
  w <- stats::runif(500, 0.2, 4.5)
  w[sample(500, 40)] <- 0
  x <- stats::model.matrix(~ age + income + group, d)
  fit <- fit_logit(x, d$answered, weights = w)
  g <- glm_tight(answered ~ age + income + group, d, weights = w)
  expect_matches_glm(fit, g)
  # rows with weight 0 take no part in the fit but still get fitted values
  zero <- w == 0
  expect_equal(fit$fitted[zero],
               unname(stats::plogis(x[zero, ] %*% fit$coefficients))[, 1],
               tolerance = 1e-12)
  fit_sub <- fit_logit(x[!zero, ], d$answered[!zero], weights = w[!zero])
  expect_equal(fit_sub$coefficients, fit$coefficients, tolerance = 1e-10)
})

test_that("ML fit equals glm() with an offset", {
  d <- make_data(300, 3)
  set.seed(30)
  off <- stats::rnorm(300, 0, 0.7)
  x <- stats::model.matrix(~ age + female, d)
  fit <- fit_logit(x, d$answered, offset = off)
  g <- glm_tight(answered ~ age + female, d, offset = off)
  expect_matches_glm(fit, g)
  # the linear predictor includes the offset
  expect_equal(fit$linear_predictor, unname(drop(x %*% fit$coefficients)) + off,
               tolerance = 1e-12)
})

test_that("ML fit equals glm() with factor and interaction columns", {
  d <- make_data(800, 4)
  set.seed(40)
  w <- stats::rgamma(800, 2, 2)
  f <- answered ~ group * income + age + female:age
  x <- stats::model.matrix(f, d)
  fit <- fit_logit(x, d$answered, weights = w)
  g <- glm_tight(f, d, weights = w)
  expect_matches_glm(fit, g)
  expect_identical(names(fit$std_error), colnames(x))
})

test_that("logical responses and an intercept-only model", {
  d <- make_data(200, 5)
  x <- matrix(1, 200, 1, dimnames = list(NULL, "(Intercept)"))
  fit <- fit_logit(x, d$answered == 1)
  # closed form: the intercept is the logit of the sample proportion
  ybar <- mean(d$answered)
  expect_equal(unname(fit$coefficients), stats::qlogis(ybar),
               tolerance = 1e-10)
  expect_equal(unname(fit$vcov[1, 1]), 1 / (200 * ybar * (1 - ybar)),
               tolerance = 1e-10)
})

test_that("scores and information match their definitions", {
  d <- make_data(300, 6)
  set.seed(60)
  w <- stats::runif(300, 0.5, 2)
  x <- stats::model.matrix(~ age + income + group, d)
  fit <- fit_logit(x, d$answered, weights = w)
  p <- fit$fitted
  by_hand <- x * (w * (d$answered - p))
  expect_equal(fit$scores, by_hand, tolerance = 1e-12, ignore_attr = TRUE)
  expect_identical(colnames(fit$scores), colnames(x))
  # without the n x p scores the residual factors rebuild them exactly
  lean <- fit_logit(x, d$answered, weights = w, scores = FALSE)
  expect_null(lean$scores)
  expect_equal(lean$residuals, w * (d$answered - p), tolerance = 1e-12)
  expect_identical(c(x * lean$residuals), c(fit$scores))
  expect_identical(lean$coefficients, fit$coefficients)
  # at the ML estimate the score is zero
  expect_lt(score_statistic(fit), 1e-14)
  info <- crossprod(x, x * (w * p * (1 - p)))
  expect_equal(fit$information, info, tolerance = 1e-12)
  expect_equal(fit$vcov, solve(info), tolerance = 1e-8)
})

test_that("Firth fit equals brglm2's MPL_Jeffreys without weights", {
  skip_if_not_installed("brglm2")
  d <- make_data(150, 7)
  f <- answered ~ age + income + group
  x <- stats::model.matrix(f, d)
  fit <- fit_logit(x, d$answered, method = "firth")
  b <- brglm_jeffreys(f, d)
  expect_equal(fit$coefficients, stats::coef(b), tolerance = 1e-6)
  expect_equal(fit$std_error, summary(b)$coefficients[, 2], tolerance = 1e-6)
  expect_equal(fit$fitted, unname(stats::fitted(b)), tolerance = 1e-6)
  expect_equal(fit$deviance, stats::deviance(b), tolerance = 1e-6)
  expect_identical(fit$method, "firth")
  expect_true(fit$converged)
})

test_that("Firth fit equals brglm2 with prior weights in the penalty", {
  skip_if_not_installed("brglm2")
  d <- make_data(200, 8)
  set.seed(80)
  w <- stats::runif(200, 0.3, 3)
  w[1:10] <- 0
  f <- answered ~ age + income + group + female
  x <- stats::model.matrix(f, d)
  fit <- fit_logit(x, d$answered, weights = w, method = "firth")
  b <- brglm_jeffreys(f, d, weights = w)
  expect_equal(fit$coefficients, stats::coef(b), tolerance = 1e-6)
  expect_equal(fit$std_error, summary(b)$coefficients[, 2], tolerance = 1e-6)

  # brglm2's penalty is the Jeffreys prior of the weighted model: h is the
  # diagonal of the hat matrix with weights w p (1 - p), and is not
  # multiplied by w again. The modified score is zero at the estimate.
  p <- fit$fitted
  sw <- sqrt(w * p * (1 - p))
  h <- stats::hat(sw * x, intercept = FALSE)
  u <- x * (w * (d$answered - p) + h * (0.5 - p))
  expect_equal(fit$scores, u, tolerance = 1e-10, ignore_attr = TRUE)
  expect_lt(score_statistic(fit), 1e-14)
  # multiplying h by w again gives a different equation, not solved here
  u_w <- x * (w * (d$answered - p + h * (0.5 - p)))
  expect_gt(max(abs(colSums(u_w))), 1e-3)
  expect_equal(fit$information, crossprod(x, x * sw^2), tolerance = 1e-12)
})

test_that("Firth gives finite estimates, as brglm2, on separated data", {
  skip_if_not_installed("brglm2")
  set.seed(9)
  d <- data.frame(x1 = stats::rnorm(40), x2 = stats::rnorm(40))
  d$y <- as.numeric(d$x1 > 0.2)
  x <- stats::model.matrix(~ x1 + x2, d)
  expect_error(fit_logit(x, d$y), class = "panelattrition_separation_error")
  fit <- fit_logit(x, d$y, method = "firth")
  b <- brglm_jeffreys(y ~ x1 + x2, d)
  expect_true(all(is.finite(fit$coefficients)))
  expect_equal(fit$coefficients, stats::coef(b), tolerance = 1e-6)
  expect_equal(fit$std_error, summary(b)$coefficients[, 2], tolerance = 1e-6)

  # quasi-complete separation, weighted
  set.seed(10)
  z <- stats::rbinom(60, 1, 0.3)
  d2 <- data.frame(z = z, x = stats::rnorm(60),
                   y = ifelse(z == 1, 1, stats::rbinom(60, 1, 0.4)))
  w <- stats::runif(60, 0.5, 2)
  x2 <- stats::model.matrix(~ z + x, d2)
  fit2 <- fit_logit(x2, d2$y, weights = w, method = "firth")
  b2 <- brglm_jeffreys(y ~ z + x, d2, weights = w)
  expect_equal(fit2$coefficients, stats::coef(b2), tolerance = 1e-6)
  expect_equal(fit2$std_error, summary(b2)$coefficients[, 2], tolerance = 1e-6)
})

test_that("complete separation is an error naming the stage and variable", {
  set.seed(11)
  d <- data.frame(x1 = stats::rnorm(60), x2 = stats::rnorm(60))
  d$y <- as.numeric(d$x1 > 0.3)
  x <- stats::model.matrix(~ x1 + x2, d)
  err <- tryCatch(fit_logit(x, d$y, stage = "T2"),
                  panelattrition_separation_error = function(e) e)
  expect_s3_class(err, "panelattrition_error")
  expect_identical(err$stage, "T2")
  expect_true("x1" %in% err$variables)
  expect_match(conditionMessage(err), "response model for T2", fixed = TRUE)
  expect_match(conditionMessage(err), "`x1`", fixed = TRUE)
  expect_match(conditionMessage(err), "method = \"firth\"", fixed = TRUE)
})

test_that("quasi-complete separation names exactly the diverging variable", {
  set.seed(12)
  n <- 80
  d <- data.frame(z = stats::rbinom(n, 1, 0.3), x = stats::rnorm(n))
  # everyone with z = 1 answered; the others overlap
  d$y <- ifelse(d$z == 1, 1, stats::rbinom(n, 1, 0.4))
  x <- stats::model.matrix(~ z + x, d)
  err <- tryCatch(fit_logit(x, d$y, stage = "T3"),
                  panelattrition_separation_error = function(e) e)
  expect_s3_class(err, "panelattrition_separation_error")
  expect_identical(err$variables, "z")
  expect_match(conditionMessage(err), "response model for T3", fixed = TRUE)

  # a factor level in which nobody answered, with weights and an offset
  set.seed(13)
  d$group <- factor(sample(c("a", "b", "c"), n, replace = TRUE))
  d$y2 <- ifelse(d$group == "c", 0, stats::rbinom(n, 1, 0.5))
  x2 <- stats::model.matrix(~ group + x, d)
  err2 <- tryCatch(
    fit_logit(x2, d$y2, weights = stats::runif(n, 0.5, 2),
              offset = stats::rnorm(n, 0, 0.3)),
    panelattrition_separation_error = function(e) e
  )
  expect_s3_class(err2, "panelattrition_separation_error")
  expect_identical(err2$variables, "groupc")
  expect_null(err2$stage)
})

test_that("separation that exists only among positive weights is found", {
  set.seed(14)
  x1 <- stats::rnorm(50)
  y <- as.numeric(x1 > 0)
  crossing <- which.max(x1)
  y[crossing] <- 0
  x <- cbind("(Intercept)" = 1, x1 = x1)
  # with the crossing observation the estimate is finite and equals glm()
  fit <- fit_logit(x, y)
  expect_equal(fit$coefficients,
               stats::coef(glm_tight(y ~ x1, data.frame(y, x1))),
               tolerance = 1e-8, ignore_attr = TRUE)
  w <- rep(1, 50)
  w[crossing] <- 0
  err <- tryCatch(fit_logit(x, y, weights = w),
                  panelattrition_separation_error = function(e) e)
  expect_true("x1" %in% err$variables)
})

test_that("nearly separated data with a finite estimate are not flagged", {
  set.seed(15)
  x1 <- sort(stats::rnorm(40))
  y <- as.numeric(x1 > 0)
  # one observation on each side of the boundary crosses it
  y[which(x1 > 0)[1]] <- 0
  y[max(which(x1 < 0))] <- 1
  d <- data.frame(x1, y)
  fit <- fit_logit(stats::model.matrix(~ x1, d), d$y)
  g <- glm_tight(y ~ x1, d)
  expect_gt(stats::coef(g)[["x1"]], 5)
  expect_matches_glm(fit, g)
})

test_that("no false separation on 200 random ordinary data sets", {
  set.seed(2023)
  flagged <- 0L
  worst <- 0
  for (k in seq_len(200)) {
    n <- sample(c(100, 200, 500), 1)
    d <- data.frame(
      x1 = stats::rnorm(n),
      x2 = stats::rbinom(n, 1, 0.4),
      x3 = stats::runif(n),
      g = factor(sample(c("a", "b", "c"), n, replace = TRUE))
    )
    beta <- stats::rnorm(6, 0, 0.6)
    x <- stats::model.matrix(~ x1 + x2 + x3 + g, d)
    d$y <- stats::rbinom(n, 1, stats::plogis(drop(x %*% beta)))
    w <- if (k %% 2 == 0) stats::rexp(n) else NULL
    fit <- tryCatch(fit_logit(x, d$y, weights = w),
                    panelattrition_separation_error = function(e) NULL)
    if (is.null(fit)) {
      flagged <- flagged + 1L
      next
    }
    g <- glm_tight(y ~ x1 + x2 + x3 + g, d, weights = w)
    worst <- max(worst, abs(fit$coefficients - stats::coef(g)) /
                   (abs(stats::coef(g)) + 1e-3))
  }
  expect_identical(flagged, 0L)
  expect_lt(worst, 1e-8)
})

test_that("linearly dependent columns are a collinearity error naming them", {
  d <- make_data(100, 16)
  x <- stats::model.matrix(~ age + income, d)
  x <- cbind(x, income_copy = 2 * d$income)
  err <- tryCatch(fit_logit(x, d$answered, stage = "T1"),
                  panelattrition_collinear_error = function(e) e)
  expect_s3_class(err, "panelattrition_error")
  expect_identical(err$variables, "income_copy")
  expect_identical(err$stage, "T1")
  expect_match(conditionMessage(err), "`income_copy`", fixed = TRUE)
  # glm() agrees: the same column is aliased
  g <- suppressWarnings(stats::glm.fit(x, d$answered,
                                       family = stats::binomial()))
  expect_identical(names(which(is.na(g$coefficients))), "income_copy")

  # a full set of dummies next to the intercept
  x2 <- cbind(stats::model.matrix(~ group, d),
              groupA = as.numeric(d$group == "A"))
  err2 <- tryCatch(fit_logit(x2, d$answered),
                   panelattrition_collinear_error = function(e) e)
  expect_identical(err2$variables, "groupA")

  # a column that is zero wherever the weight is positive
  x3 <- cbind(stats::model.matrix(~ age, d), only_zero_wt = 0)
  w <- rep(1, 100)
  x3[1:5, "only_zero_wt"] <- 1
  w[1:5] <- 0
  expect_error(fit_logit(x3, d$answered, weights = w),
               class = "panelattrition_collinear_error")
})

test_that("non-convergence warns with a classed warning", {
  d <- make_data(200, 17)
  x <- stats::model.matrix(~ age + income + group, d)
  expect_warning(fit <- fit_logit(x, d$answered, control = list(maxit = 2),
                                  stage = "T2"),
                 class = "panelattrition_convergence_warning")
  expect_false(fit$converged)
  expect_identical(fit$iterations, 2L)
  # glm() after the same two iterations from the same start
  g <- suppressWarnings(stats::glm(answered ~ age + income + group,
                                   stats::binomial(), d,
                                   control = stats::glm.control(maxit = 2)))
  expect_equal(fit$coefficients, stats::coef(g), tolerance = 1e-8)
})

test_that("arguments are checked with messages naming them", {
  d <- make_data(50, 18)
  x <- stats::model.matrix(~ age, d)
  expect_error(fit_logit(x, d$answered + 1),
               class = "panelattrition_arg_error")
  expect_error(fit_logit(x, c(d$answered[-1], NA)), "`y` must contain only 0 and 1")
  expect_error(fit_logit(x, d$answered[-1]), "`y` must be")
  expect_error(fit_logit(x, d$answered, weights = c(-1, rep(1, 49))),
               "`weights` must be finite and non-negative")
  expect_error(fit_logit(x, d$answered, weights = rep(0, 50)),
               "at least one positive")
  x_na <- x
  x_na[3, "age"] <- NA
  expect_error(fit_logit(x_na, d$answered), "column age")
  expect_error(fit_logit(x, d$answered, offset = 1), "`offset` must be")
  expect_error(fit_logit(x, d$answered, method = "probit"), "`method` must be")
  expect_error(fit_logit(x, d$answered, control = list(maxit = 0)),
               "`control\\$maxit` must be")
  expect_error(fit_logit(x, d$answered, control = list(tol = 1)),
               class = "panelattrition_arg_error")
  expect_error(fit_logit(as.data.frame(x), d$answered), "`x` must be")
})

test_that("large fits are identical on 1 and 2 threads and equal glm()", {
  # 9,001 rows: nine row chunks, so X'WX and the per-observation pass are
  # shared between threads when two are allowed, and a ragged last chunk
  d <- make_data(9001, 71)
  x <- stats::model.matrix(~ age + income + group + female + age:income, d)
  w <- stats::runif(9001, 0.2, 3)
  old <- options(panelattrition.threads = 1)
  on.exit(options(old))
  one <- fit_logit(x, d$answered, weights = w)
  options(panelattrition.threads = 2)
  two <- fit_logit(x, d$answered, weights = w)
  expect_identical(two, one)
  firth_one <- fit_logit(x, d$answered, weights = w, method = "firth")
  options(panelattrition.threads = 1)
  expect_identical(fit_logit(x, d$answered, weights = w, method = "firth"),
                   firth_one)
  g <- suppressWarnings(stats::glm(
    d$answered ~ x - 1, family = stats::binomial(), weights = w,
    control = stats::glm.control(epsilon = 1e-12, maxit = 100)
  ))
  expect_equal(unname(one$coefficients), unname(stats::coef(g)),
               tolerance = 1e-8)
  expect_equal(unname(one$std_error),
               unname(summary(g)$coefficients[, 2]), tolerance = 1e-8)
  expect_equal(one$deviance, stats::deviance(g), tolerance = 1e-10)
  # the Newton steps of a fit this large use a single-precision X'WX; the
  # information returned (for the variances) is formed again in double
  p <- one$fitted
  expect_equal(one$information, crossprod(x, w * p * (1 - p) * x),
               tolerance = 1e-13)
})

test_that("a stage's fit without fit_logit()'s scans is the same fit", {
  fit_stage_logit <- panelattrition:::fit_stage_logit
  d <- make_data(600, 23)
  x <- stats::model.matrix(~ age + income + group + female, d)
  storage.mode(x) <- "double"
  y <- as.numeric(d$answered)
  w <- stats::runif(600, 0.5, 2)
  for (method in c("logit", "firth")) {
    lean <- fit_stage_logit(x, y, w, method, list(maxit = 100, epsilon = 1e-10),
                            "T2")
    expect_identical(lean, fit_logit(x, y, weights = w, method = method,
                                     stage = "T2", scores = FALSE))
    # no offset is an offset of zeros
    expect_identical(lean, fit_logit(x, y, weights = w, offset = rep(0, 600),
                                     method = method, stage = "T2",
                                     scores = FALSE))
  }
  expect_matches_glm(
    fit_stage_logit(x, y, w, "logit", list(epsilon = 1e-12), "T2"),
    glm_tight(answered ~ age + income + group + female, d, w))
  # the kernel's checks: a value of x that is not finite, with fit_logit()'s
  # message, and a weight or a response out of range
  x_inf <- x
  x_inf[5, "income"] <- Inf
  expect_error(fit_stage_logit(x_inf, y, w, "logit", list(), "T2"),
               "`x` must contain only finite values; column income does not.",
               class = "panelattrition_arg_error", fixed = TRUE)
  expect_error(fit_stage_logit(x, replace(y, 3, 2), w, "logit", list(), "T2"),
               class = "panelattrition_model_error")
  expect_error(fit_stage_logit(x, y, replace(w, 3, -1), "logit", list(), "T2"),
               class = "panelattrition_model_error")
  # inputs of another kind take fit_logit()'s checks and messages
  expect_error(fit_stage_logit(x, y[-1], w, "logit", list(), "T2"),
               "`y` must be")
  expect_error(fit_stage_logit(x, y, w, "probit", list(), "T2"),
               "`method` must be")
  expect_error(fit_stage_logit(x[0, ], y[0], w[0], "logit", list(), "T2"),
               "`x` must be a matrix with at least one row")
  expect_error(fit_stage_logit(x, y, w, "logit", list(maxit = 1.5), "T2"),
               "`control\\$maxit` must be")
  x_lgl <- cbind("(Intercept)" = TRUE, old = d$age > 40, rich = d$income > 1)
  expect_identical(fit_stage_logit(x_lgl, y, w, "logit", list(), "T2"),
                   fit_logit(x_lgl, y, weights = w, stage = "T2",
                             scores = FALSE))
})

# brglm2's quasi-Fisher scoring crawls under separation (hundreds of
# iterations) and, started from a diverging maximum likelihood fit with a
# tight epsilon, can fail to come back: run it with its defaults first and
# then to full precision from there.
brglm_refined <- function(formula, data, weights = NULL) {
  data$.w <- if (is.null(weights)) rep(1, nrow(data)) else weights
  fit <- function(...) {
    suppressWarnings(stats::glm(
      formula, family = stats::binomial(), data = data, weights = .w,
      method = brglm2::brglmFit, type = "MPL_Jeffreys", ...
    ))
  }
  b0 <- fit()
  b <- fit(start = stats::coef(b0), epsilon = 1e-12, maxit = 5000)
  stats::coef(b)
}

# Firth's modified score X'(w (y - p) + h (1/2 - p)), by hand.
firth_score <- function(x, y, beta, w = rep(1, length(y))) {
  eta <- drop(x %*% beta)
  p <- stats::plogis(eta)
  wt <- w * p * (1 - p)
  h <- wt * rowSums((x %*% solve(crossprod(x, wt * x))) * x)
  drop(crossprod(x, w * (y - p) + h * (0.5 - p)))
}

test_that("Firth fits converge under complete separation to brglm2's maximum", {
  skip_if_not_installed("brglm2")
  set.seed(31)
  n <- 1000
  d <- data.frame(z = stats::rbinom(n, 1, 0.3), x = stats::rnorm(n))
  x <- stats::model.matrix(~ x + z, d)
  w <- stats::runif(n, 0.5, 3)
  # a dummy that predicts response perfectly, without and with prior
  # weights: scoring used to stop after 100 iterations 0.01 away
  for (wt in list(NULL, w)) {
    expect_no_warning(fit <- fit_logit(x, d$z, weights = wt, method = "firth"))
    expect_true(fit$converged)
    expect_lt(fit$iterations, 30)
    expect_equal(fit$coefficients, brglm_refined(y ~ x + z, transform(d, y = z), wt),
                 tolerance = 1e-6, ignore_attr = TRUE)
  }
  # complete separation on a continuous covariate: the slope is large and
  # the penalised likelihood flat along it, where brglm2 stops early; the
  # modified score vanishes at our estimate and the two agree relatively
  d2 <- data.frame(x = c(stats::rnorm(n / 2, -1), stats::rnorm(n / 2, 1)),
                   v = stats::rnorm(n))
  d2$y <- as.numeric(d2$x > 0)
  x2 <- stats::model.matrix(~ x + v, d2)
  expect_no_warning(fit2 <- fit_logit(x2, d2$y, method = "firth"))
  expect_true(fit2$converged)
  expect_lt(max(abs(firth_score(x2, d2$y, fit2$coefficients))), 1e-8)
  expect_equal(fit2$coefficients, brglm_refined(y ~ x + v, d2),
               tolerance = 1e-6, ignore_attr = TRUE)
})

test_that("a separated stage of a multi-stage panel is brglm2's fit", {
  skip_if_not_installed("brglm2")
  set.seed(32)
  n <- 800
  z <- stats::rbinom(n, 1, 0.5)
  x <- stats::rnorm(n)
  r2 <- z == 1                        # z predicts T2 response perfectly
  r3 <- r2 & stats::runif(n) < stats::plogis(0.5 + x)
  ids <- sprintf("id%03d", seq_len(n))
  long <- rbind(data.frame(id = ids, wave = "T1", x = x, z = z, y = x),
                data.frame(id = ids, wave = "T2", x = x, z = z, y = x)[r2, ],
                data.frame(id = ids, wave = "T3", x = x, z = z, y = x)[r3, ])
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("x", "z"))
  # one model per wave: T2 completely and T3 quasi-completely separated
  expect_no_warning(w <- attrition_weights(panel, ~ x + z, method = "firth",
                                           monotone = FALSE,
                                           stabilize = FALSE))
  expect_true(all(response_models(w)$converged))
  d <- data.frame(r = as.numeric(r2), x = x, z = z)
  b2 <- brglm_refined(r ~ x + z, d)
  expect_equal(w$stages[[1]]$fit$coefficients, b2, tolerance = 1e-6,
               ignore_attr = TRUE)
  b3 <- brglm_refined(r ~ x + z, data.frame(r = as.numeric(r3), x = x, z = z))
  expect_equal(w$stages[[2]]$fit$coefficients, b3, tolerance = 1e-6,
               ignore_attr = TRUE)
})
