# Small helpers shared by every layer: no dependency on any other file of
# the package.

`%||%` <- function(x, y) if (is.null(x)) y else x

# "\"a\", \"b\" or \"c\"": a list of choices for a message.
format_choices <- function(x, last = "or") {
  q <- sprintf("\"%s\"", x)
  if (length(q) < 2L) return(q)
  paste(paste(q[-length(q)], collapse = ", "), last, q[length(q)])
}
