using System.Formats.Cbor;
using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Credentials.Passkeys.Attestation;

public sealed class NoneAttestationFormatTests
{
    private readonly NoneAttestationFormat _format = new();

    [Fact]
    public void None_attestation_with_an_empty_statement_is_accepted_without_a_trust_path()
    {
        var result = AttestationCeremony.Register(attestation: null).VerifyWith(_format);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(AttestationType.None, result.Type);
        Assert.Empty(result.TrustPath);
    }

    [Fact]
    public void None_attestation_with_members_in_its_statement_is_refused()
    {
        var result = AttestationCeremony.Register(new NonEmptyNoneAttestation()).VerifyWith(_format);

        AttestationAssert.Refused(result, "empty");
    }

    private sealed class NonEmptyNoneAttestation : TestAttestation
    {
        public override string Format => "none";

        protected override void WriteStatement(CborWriter writer, AttestationInput input)
        {
            writer.WriteStartMap(1);
            writer.WriteTextString("alg");
            writer.WriteInt32(-7);
            writer.WriteEndMap();
        }
    }
}
