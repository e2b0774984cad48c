# attrition_report(): one self-contained HTML report with every section,
# and no suppressed value anywhere in it.

test_that("the report renders with every section and no suppressed value", {
  skip_if_not_installed("rmarkdown")
  skip_if_not_installed("knitr")
  skip_if_not(rmarkdown::pandoc_available(), "pandoc is not available")
  set.seed(17)
  s <- sim_panel(400, seed = 21)
  long <- s$long
  long$g <- as.character(long$g)
  # a group of three people whose outcome values are like nobody else's
  small <- unique(long$id)[1:3]
  long$g[long$id %in% small] <- "z"
  secret <- c(913.2417, 927.6583, 941.8029)
  for (k in 1:3) long$y[long$id == small[k]] <- secret[k] + 0.1 * seq_len(sum(long$id == small[k])) - 0.1
  long$work <- long$y > 55
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ age)
  file <- file.path(tempfile("report-"), "report.html")
  out <- suppressMessages(attrition_report(w, c("y", "work"), by = "g",
                                           file = file))
  expect_true(file.exists(file))
  html <- paste(readLines(file, warn = FALSE), collapse = "\n")
  # self-contained: figures embedded, no links to local files
  # (grepl(), not expect_match(): its message would format 3 MB of HTML)
  has <- function(pattern, fixed = TRUE) grepl(pattern, html, fixed = fixed)
  # what a reader can see: no scripts, styles or embedded images
  text <- gsub("(?s)<script.*?</script>|<style.*?</style>", "", html,
               perl = TRUE)
  text <- gsub("data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", text)
  text <- gsub("\\s+", " ", text)
  # a number standing alone (not the digits of a longer number)
  shows <- function(num) {
    grepl(paste0("(?<![0-9.,])", gsub(".", "\\.", num, fixed = TRUE),
                 "(?![0-9])"), text, perl = TRUE)
  }
  expect_true(has("data:image/png;base64"))
  expect_false(has("<img src=\"[^d][^a]", fixed = FALSE))
  for (section in c("Summary", "Who answered at each wave", "Response models",
                    "Weights and effective sample size",
                    "Balance before and after weighting",
                    "Estimates by wave", "Comparisons between groups",
                    "Sensitivity to dropout not at random",
                    "Suppressed cells", "Reproduce this report")) {
    expect_true(grepl(paste0("</span> ", section, "</h1>"), text, fixed = TRUE),
                label = section)
  }
  expect_true(has("complete cases"))
  expect_true(has("attrition_report("))
  # nothing of the small group: its members' values, its means at every
  # wave (as printed, to 3 significant digits, and in full)
  cell <- long[long$g == "z", ]
  means <- tapply(cell$y, cell$wave, mean)
  values <- c(cell$y, means)
  for (v in values) {
    for (txt in unique(c(format(signif(v, 3)), format(round(v, 1), nsmall = 1),
                         format(round(v, 2), nsmall = 2), sprintf("%.4f", v),
                         format(round(v))))) {
      expect_false(shows(txt), label = txt)
    }
  }
  # its count of three does not appear as a count either
  expect_false(grepl("3 answered|<td[^>]*>3</td>", text))
  expect_true(has("suppressed"))
})

test_that("attrition_report() checks its arguments, with hints", {
  s <- sim_panel(200, seed = 2)
  panel <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  expect_error(attrition_report(w, "yy"), class = "panelattrition_arg_error",
               regexp = "Did you mean `y`")
  expect_error(attrition_report(w, "y", by = "gg"),
               class = "panelattrition_arg_error", regexp = "Did you mean `g`")
  expect_error(attrition_report(panel, "y"), class = "panelattrition_arg_error")
  expect_error(attrition_report(w, 1), class = "panelattrition_arg_error")
})
