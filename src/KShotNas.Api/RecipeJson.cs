using System.Text.Json;
using System.Text.Json.Serialization;
using KShotNas.Methods;
using KShotNas.Spaces;

namespace KShotNas.Api;

/// <summary>A space in JSON: its descriptor (SpaceCatalog's text form).</summary>
internal sealed class SpaceJsonConverter : JsonConverter<SearchSpace?>
{
    public override SearchSpace? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : SpaceCatalog.Create(reader.GetString()!);

    public override void Write(Utf8JsonWriter writer, SearchSpace? value, JsonSerializerOptions options)
    {
        if (value is null) writer.WriteNullValue();
        else writer.WriteStringValue(SpaceCatalog.Describe(value));
    }
}

/// <summary>A supernet method in JSON: its text form (<see cref="SupernetMethod.Name"/>, read by <see cref="SupernetMethod.Parse"/>).</summary>
internal sealed class MethodJsonConverter : JsonConverter<SupernetMethod>
{
    public override SupernetMethod Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        SupernetMethod.Parse(reader.GetString() ?? throw new JsonException("A supernet method is a string, e.g. fairnas."));

    public override void Write(Utf8JsonWriter writer, SupernetMethod value, JsonSerializerOptions options) => writer.WriteStringValue(value.Name);
}
