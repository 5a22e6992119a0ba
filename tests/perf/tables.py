"""The one table format every benchmark prints: a title, then `| measure | result |` rows."""


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    measure = max([len("measure"), *(len(name) for name, _ in rows)])
    result = max([len("result"), *(len(value) for _, value in rows)])
    print(f"\n{title}\n")
    print(f"| {'measure':<{measure}} | {'result':>{result}} |")
    print(f"|{'-' * (measure + 2)}|{'-' * (result + 2)}|")
    for name, value in rows:
        print(f"| {name:<{measure}} | {value:>{result}} |")
