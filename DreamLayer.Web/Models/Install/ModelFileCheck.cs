namespace DreamLayer.Web.Models.Install;

/// <summary>What is checked of a downloaded or uploaded file before it is put where a server reads it.</summary>
public static class ModelFileCheck
{
    /// <summary>Null when the file looks like the model its extension says; otherwise why not, in words.</summary>
    public static string? Problem(string path, string fileName)
    {
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        if (extension is ".safetensors" or ".sft")
        {
            return SafetensorsHeader.WholeFileProblem(path);
        }
        Span<byte> start = stackalloc byte[4];
        int read;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
        {
            read = file.ReadAtLeast(start, 4, throwOnEndOfStream: false);
        }
        if (read < 4)
        {
            return $"The file is {read} bytes long: it is not a model.";
        }
        if (extension == ".gguf")
        {
            return start.SequenceEqual("GGUF"u8) ? null : "The file does not start with \"GGUF\": it is not a GGUF model.";
        }
        // .ckpt, .pt, .pth, .bin: a PyTorch zip or pickle. A web page or an error message in JSON is refused.
        return start[0] is (byte)'<' or (byte)'{'
            ? "The file is text (a web page or an error message), not a model."
            : null;
    }
}
