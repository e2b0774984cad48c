# Every exported function stops with a classed error naming the argument
# when an argument without a default is not given (not R's unclassed
# "argument is missing" at its first use).

test_that("exported functions name a missing required argument", {
  ns <- asNamespace("panelattrition")
  exports <- sort(getNamespaceExports("panelattrition"))
  # the generics re-exported from `generics` dispatch on their argument
  exports <- setdiff(exports, c("tidy", "glance"))
  checked <- 0L
  for (f in exports) {
    fn <- get(f, envir = ns)
    if (!is.function(fn)) next
    fo <- formals(fn)
    needed <- setdiff(names(fo)[vapply(fo, function(x) identical(x, quote(expr = )),
                                       logical(1))], "...")
    if (!length(needed)) next
    err <- tryCatch(suppressMessages(eval(call(f), ns)), error = function(e) e)
    expect_s3_class(err, "panelattrition_arg_error")
    expect_identical(err$argument, needed[[1L]], info = f)
    expect_match(conditionMessage(err), paste0(f, "()"), fixed = TRUE,
                 info = f)
    checked <- checked + 1L
  }
  expect_gte(checked, 25L)
})

test_that("a later missing argument is named when the first is given", {
  skip_if_not_installed("survey")
  sim <- sim_panel(300)
  panel <- panel_data(sim$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  expect_error(as_svydesign(w), class = "panelattrition_arg_error")
  err <- tryCatch(as_svydesign(w), error = function(e) e)
  expect_identical(err$argument, "wave")
  expect_match(conditionMessage(err), "as_svydesign(): `wave` is missing",
               fixed = TRUE)
  err <- tryCatch(wave_means(w), error = function(e) e)
  expect_identical(err$argument, "outcomes")
  err <- tryCatch(attrition_weights(panel), error = function(e) e)
  expect_identical(err$argument, "formula")
  # arguments given positionally count as given
  expect_s3_class(wave_means(w, "y"), "pa_estimates")
})
