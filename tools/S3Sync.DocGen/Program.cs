using S3Sync.DocGen;

// ./build.sh docs: dotnet run --project tools/S3Sync.DocGen -- DOCS_DIR
var dir = args.Length > 0 ? args[0] : "docs";
Directory.CreateDirectory(dir);
var root = S3Sync.Cli.Program.BuildRoot();
File.WriteAllText(Path.Combine(dir, "commands.md"), CommandReference.Markdown(root));
File.WriteAllText(Path.Combine(dir, "s3sync.1"), CommandReference.ManPage(S3Sync.Cli.Program.BuildRoot()));
Console.WriteLine($"wrote {Path.Combine(dir, "commands.md")} and {Path.Combine(dir, "s3sync.1")}");
